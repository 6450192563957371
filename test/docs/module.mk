# test/docs: the guides followed literally (docs/guide.en.md, docs/guide.ja.md).
CHECK_TARGETS += guide-test
.PHONY: guide-test
guide-test: all
	@$(RUN) script $(RESULTS) "docs/guide.en.md followed literally: install, simulator, onshi verify, the first program, callbacks (guide.ja.md: same code)" \
	    bash test/docs/guide.sh "$(MAKE)" "$(CC)"
