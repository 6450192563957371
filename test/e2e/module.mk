# test/e2e: end-to-end tests of the workflows; each area plugs in test/e2e/<area>/module.mk.
-include $(wildcard test/e2e/*/module.mk)
