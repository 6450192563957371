# Each integration suite lives in its own folder with its own module.mk.
-include $(wildcard test/integration/*/module.mk)
