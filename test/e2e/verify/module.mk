# test/e2e/verify: the onshi CLI's verify / refnum / info / face-watch against a scripted
# linkage app (file exchange) answering with the golden files.
CHECK_TARGETS += e2e-verify-cli
.PHONY: e2e-verify-cli
e2e-verify-cli: $(B)/bin/onshi $(B)/examples/verify_insurance_card $(B)/examples/drug_info
	@$(RUN) script $(RESULTS) "onshi verify/refnum/info/face-watch over a scripted linkage app" \
	    bash test/e2e/verify/cli-linkage.sh $(B)/bin/onshi $(B)/examples
