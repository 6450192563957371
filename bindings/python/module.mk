# Python binding: its unit tests run against the freshly built shared library.
CHECK_TARGETS += python-binding-test
.PHONY: python-binding-test
python-binding-test: lib
	@$(RUN) script $(RESULTS) "python binding" env ONSHI_LIBRARY=$(abspath $(SHLIB)) \
	    python3 -m unittest discover -s bindings/python/tests -v
