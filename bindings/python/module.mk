# Python binding: pytest against the freshly built library (ONSHI_LIBRARY: the source tree's
# build, asked for explicitly), onshi-sim and the in-process virtual card; then
# `pip install bindings/python` into a fresh virtual environment (no network: the in-tree build
# backend needs nothing) and the README example run from the installed package.
# Debian's python3 runs them (python3-pytest, python3-venv: `make deps`).
PYTHON_TEST ?= /usr/bin/python3
CHECK_TARGETS += python-binding-test python-binding-install
.PHONY: python-binding-test python-binding-install
python-binding-test: $(BINDING_DEPS)
	@$(PYTHON_TEST) -c 'import pytest' 2>/dev/null || \
	    { echo "python binding: pytest is missing for $(PYTHON_TEST): run make deps (python3-pytest)"; exit 1; }
	@sh bindings/run-tests.sh pytest $(RESULTS) "python binding (pytest)" \
	    env ONSHI_LIBRARY=$(abspath $(SHLIB)) ONSHI_SOURCE_ROOT=$(abspath .) PYTHONDONTWRITEBYTECODE=1 \
	    $(BINDING_SIM) $(PYTHON_TEST) -m pytest -q -s -p no:cacheprovider bindings/python/tests

python-binding-install: $(BINDING_DEPS)
	@$(RUN) script $(RESULTS) "python binding: pip install + README example" \
	    env ONSHI_LIBRARY=$(abspath $(SHLIB)) PYTHON=$(PYTHON_TEST) \
	    $(BINDING_SIM) sh bindings/python/install-test.sh
