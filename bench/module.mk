# Each benchmark lives in bench/<name>/ with its own module.mk (appending to BENCH_TARGETS).
-include $(wildcard bench/*/module.mk)
