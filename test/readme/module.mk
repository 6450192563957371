# The README's usage example compiles against the built library and runs on a golden file.
CHECK_TARGETS += readme-example-test
.PHONY: readme-example-test
readme-example-test: lib
	@$(RUN) script $(RESULTS) "README usage example" sh test/readme/check.sh "$(CC)" $(OUTLIB)
