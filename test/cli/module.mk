# test/cli: the onshi tool over the golden files, and the field-id table check.
CHECK_TARGETS += cli-codec-test
.PHONY: cli-codec-test
cli-codec-test: $(B)/bin/onshi
	@$(RUN) script $(RESULTS) "onshi decode/encode over golden files (UTF-8 and CP932)" \
	    bash test/cli/decode-golden.sh $(B)/bin/onshi
	@$(RUN) script $(RESULTS) "onshi decode honours ONSHI_XML_MAX_SIZE (per unit when streaming)" \
	    sh test/cli/env-limits.sh $(B)/bin/onshi
	@$(RUN) script $(RESULTS) "onshi decode of bulk results: valid JSON or nothing, size limit" \
	    sh test/cli/decode-bulk.sh $(B)/bin/onshi
	@$(RUN) script $(RESULTS) "field ids: header = schema.def" \
	    sh test/cli/check-fields.sh include/onshi.h src/codec/schema.def
	@$(RUN) script $(RESULTS) "secret options are refused on the command line" \
	    sh test/cli/secrets.sh $(B)/bin/onshi src/core/options.def
	@$(RUN) script $(RESULTS) "files the CLI writes are 0600 whatever the umask" \
	    sh test/cli/private-files.sh $(B)/bin/onshi test/data/codec

# The command's consistency (issue 16): --help everywhere, --version, Japanese, exit codes,
# one --set parser, tables/--json/--csv, face-watch timeout, info drug window, pending.
CHECK_TARGETS += cli-consistency-test
.PHONY: cli-consistency-test
cli-consistency-test: $(B)/bin/onshi $(B)/bin/onshi-sim
	@$(RUN) script $(RESULTS) "onshi: --help on every command, --version, Japanese, exit codes, one --set parser, tables and --csv, face-watch timeout, info drug window, pending --resume" \
	    bash test/cli/consistency.sh $(B)/bin/onshi $(B)/bin/onshi-sim
	@$(RUN) script $(RESULTS) "onshi disaster-search over HTTPS: a table unless --json, --csv" \
	    bash test/cli/disaster-table.sh $(B)/bin/onshi $(B)/bin/onshi-sim
