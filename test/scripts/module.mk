# The build enforces the layers: includes and third-party libraries as the layer table of
# docs/architecture.md allows (test/scripts/check-layers.py), and the check itself on planted
# violations.
CHECK_TARGETS += layer-test
.PHONY: layer-test
layer-test:
	@$(RUN) script $(RESULTS) "layers: includes and third-party libraries as docs/architecture.md allows" \
	    python3 test/scripts/check-layers.py .
	@$(RUN) script $(RESULTS) "layer check catches planted violations" \
	    sh test/scripts/check-layers-test.sh .

# docs/errors.md: every status of the header, with the library's own texts (ja/en) and the
# guidance for reception staff and vendors.
CHECK_TARGETS += errors-doc-test
.PHONY: errors-doc-test
errors-doc-test: $(SHLIB)
	@$(RUN) script $(RESULTS) "docs/errors.md: every status of onshi.h, texts as the library returns them, staff and vendor guidance" \
	    python3 test/scripts/check-errors-doc.py $(SHLIB) .
