# test/e2e/card: the card-area CLI subcommands (no server needed), and the card workflow end to
# end through the real pcscd + vpcd + onshi-vcard (harness of test/integration/pcsc, root;
# "skipped" otherwise) against the in-process HTTPS server of test/support/fake_jpki.c and
# against onshi-sim.
# (Paths by name: test/integration/pcsc/module.mk is read after this file.)
CHECK_TARGETS += card-cli-test card-e2e card-tools-cli
# Not in the ASan pass for now: test_method_refused failed once there in a clean-clone CI run
# (AUTH_FAILED instead of CA009) and could not be reproduced in 30+ runs; the test now prints
# the server's code when it happens. Tracked in docs/security-review.md (open items).
.PHONY: card-cli-test card-e2e
card-cli-test: $(B)/bin/onshi $(B)/bin/onshi-pki
	@$(RUN) script $(RESULTS) "onshi limit / cert-info / verify-card refusals" \
	    sh test/e2e/card/cli.sh $(B)/bin/onshi $(B)/bin/onshi-pki

E2E_CARD := $(B)/test/e2e/card/test_e2e_card
$(E2E_CARD): $(B)/app/test/e2e/card/test_e2e_card.o $(B)/app/test/integration/pcsc/pcsc_util.o \
             $(STATICLIB) $(B)/libtestsupport.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(B)/app/test/integration/pcsc/pcsc_util.o $(B)/libtestsupport.a \
	    $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS) -lcmocka

$(B)/test/e2e/card/run-e2e: $(E2E_CARD) $(B)/bin/onshi-vcard test/integration/pcsc/harness.sh
	@printf '#!/bin/sh\ncd %s || exit 1\nONSHI_VCARD=%s sh %s %s\nrc=$$?\n[ "$$rc" -eq 77 ] && exit 0\nexit $$rc\n' \
	    "$(abspath .)" "$(abspath $(B)/bin/onshi-vcard)" \
	    "$(abspath test/integration/pcsc/harness.sh)" "$(abspath $(E2E_CARD))" >$@ && chmod +x $@

# The same chain with onshi-sim as the server (started by the test inside the harness).
E2E_SIM := $(B)/test/e2e/card/test_e2e_sim
$(E2E_SIM): $(B)/app/test/e2e/card/test_e2e_sim.o $(B)/app/test/integration/pcsc/pcsc_util.o \
            $(STATICLIB) $(B)/libtestsupport.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(B)/app/test/integration/pcsc/pcsc_util.o $(B)/libtestsupport.a \
	    $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS) -lcmocka

$(B)/test/e2e/card/run-e2e-sim: $(E2E_SIM) $(B)/bin/onshi-vcard $(B)/bin/onshi-sim \
                                test/integration/pcsc/harness.sh
	@printf '#!/bin/sh\ncd %s || exit 1\nONSHI_SIM=%s ONSHI_VCARD=%s sh %s %s\nrc=$$?\n[ "$$rc" -eq 77 ] && exit 0\nexit $$rc\n' \
	    "$(abspath .)" "$(abspath $(B)/bin/onshi-sim)" "$(abspath $(B)/bin/onshi-vcard)" \
	    "$(abspath test/integration/pcsc/harness.sh)" "$(abspath $(E2E_SIM))" >$@ && chmod +x $@

card-e2e: $(B)/test/e2e/card/run-e2e $(B)/test/e2e/card/run-e2e-sim
	@$(RUN) cmocka $(RESULTS) $^

# examples/verify_card against onshi-sim through pcscd (the example as a vendor builds it).
CHECK_TARGETS += card-example
.PHONY: card-example
card-example: $(B)/examples/verify_card $(B)/bin/onshi-sim $(B)/bin/onshi-vcard
	@$(RUN) script $(RESULTS) "examples/verify_card against onshi-sim (pcscd + vpcd + onshi-vcard)" \
	    sh test/e2e/card/example.sh $(abspath $(B)/bin/onshi-sim) $(abspath $(B)/bin/onshi-vcard) \
	    $(abspath $(B)/examples/verify_card) $(abspath test/integration/pcsc/harness.sh)

# `onshi card status|cert|sign-test` through pcscd + vpcd + onshi-vcard (card and phones).
.PHONY: card-tools-cli
card-tools-cli: $(B)/bin/onshi $(B)/bin/onshi-vcard $(B)/bin/onshi-pki
	@$(RUN) script $(RESULTS) "onshi card status / cert / sign-test (pcscd + vpcd + onshi-vcard)" \
	    sh test/e2e/card/card-cli.sh $(abspath $(B)/bin/onshi) $(abspath $(B)/bin/onshi-vcard) \
	    $(abspath $(B)/bin/onshi-pki) $(abspath test/integration/pcsc/harness.sh)
