# test/e2e/verify: the onshi CLI's verify / refnum / info / face-watch against a scripted
# linkage app (file exchange) answering with the golden files.
CHECK_TARGETS += e2e-verify-cli
SAN_CHECK_TARGETS += e2e-verify-cli
.PHONY: e2e-verify-cli
e2e-verify-cli: $(B)/bin/onshi $(B)/examples/verify_insurance_card $(B)/examples/drug_info
	@$(RUN) script $(RESULTS) "onshi verify/refnum/info/face-watch over a scripted linkage app" \
	    bash test/e2e/verify/cli-linkage.sh $(B)/bin/onshi $(B)/examples

# Through onshi-sim (linkage mode and HTTPS), once the simulator is part of the tree.
ifneq ($(wildcard tools/onshi-sim/main.c),)
CHECK_TARGETS += e2e-verify-sim
SAN_CHECK_TARGETS += e2e-verify-sim
.PHONY: e2e-verify-sim
e2e-verify-sim: $(B)/bin/onshi-sim $(B)/bin/onshi $(B)/examples/verify_insurance_card \
                $(B)/examples/drug_info
	@$(RUN) script $(RESULTS) "verify/refnum/info/face-watch and examples through onshi-sim (files, HTTPS)" \
	    bash test/e2e/verify/sim.sh $(B)/bin/onshi-sim $(B)/bin/onshi $(B)/examples
endif
