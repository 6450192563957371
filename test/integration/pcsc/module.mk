# PC/SC integration tests: real pcscd + vsmartcard-vpcd + onshi-vcard, started by harness.sh
# in private namespaces (network, mount, pid) and stopped by PID. Needs root (CI is root);
# without root the harness says "skipped" and the programs count nothing.
PCSC_B        := $(B)/test/integration/pcsc
PCSC_UTIL_OBJ := $(B)/app/test/integration/pcsc/pcsc_util.o
PCSC_TESTS    := test_raw test_lib
PCSC_VCARD    := $(B)/bin/onshi-vcard

$(PCSC_B)/%: $(B)/app/test/integration/pcsc/%.o $(PCSC_UTIL_OBJ) $(STATICLIB) $(B)/libtestsupport.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(PCSC_UTIL_OBJ) $(B)/libtestsupport.a $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS) -lcmocka

# A wrapper per program, so run.sh counts each cmocka test (run.sh runs programs bare).
$(PCSC_B)/run-%: $(PCSC_B)/% $(PCSC_VCARD) test/integration/pcsc/harness.sh
	@printf '#!/bin/sh\nONSHI_VCARD=%s sh %s %s\nrc=$$?\n[ "$$rc" -eq 77 ] && exit 0\nexit $$rc\n' \
	    "$(abspath $(PCSC_VCARD))" "$(abspath test/integration/pcsc/harness.sh)" \
	    "$(abspath $<)" >$@ && chmod +x $@

.PHONY: pcsc-integration
pcsc-integration: $(PCSC_TESTS:%=$(PCSC_B)/run-%)
	@$(RUN) cmocka $(RESULTS) $^

CHECK_TARGETS += pcsc-integration
SAN_CHECK_TARGETS += pcsc-integration

.PHONY: pcsc-isolation
pcsc-isolation: $(PCSC_VCARD)
	@$(RUN) script $(RESULTS) "pcsc harness isolation (host port, socket, leftovers)" \
	    sh test/integration/pcsc/check-isolation.sh $(abspath $(PCSC_VCARD))

CHECK_TARGETS += pcsc-isolation
