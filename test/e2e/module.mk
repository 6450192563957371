# test/e2e/*/: end-to-end suites of the workflows, each with its own module.mk (the top-level
# Makefile includes test/*/module.mk only).
-include $(wildcard test/e2e/*/module.mk)
