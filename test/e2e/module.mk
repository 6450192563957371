# test/e2e: end-to-end tests per workflow area, each in test/e2e/<area>/module.mk.
-include $(wildcard test/e2e/*/module.mk)
