# Each benchmark lives in its own folder with its own module.mk.
-include $(wildcard bench/*/module.mk)
