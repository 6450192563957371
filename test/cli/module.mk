# test/cli: the onshi tool over the golden files, and the field-id table check.
CHECK_TARGETS += cli-codec-test
.PHONY: cli-codec-test
cli-codec-test: $(B)/bin/onshi
	@$(RUN) script $(RESULTS) "onshi decode/encode over golden files (UTF-8 and CP932)" \
	    bash test/cli/decode-golden.sh $(B)/bin/onshi
	@$(RUN) script $(RESULTS) "onshi decode of bulk results: valid JSON or nothing, size limit" \
	    sh test/cli/decode-bulk.sh $(B)/bin/onshi
	@$(RUN) script $(RESULTS) "field ids: header = schema.def" \
	    sh test/cli/check-fields.sh include/onshi.h src/codec/schema.def
