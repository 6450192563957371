# bench/: `make bench` runs every benchmark one after the other (bench/run.sh) and writes
# bench/report.md with PNG plots (gnuplot) in $(B)/bench/out; `make bench-quick` does the same
# at reduced sizes. A benchmark is one program bench/NAME.c (linked with the static library,
# so internal hooks are reachable) or a folder bench/NAME/ with its own module.mk that builds
# its programs into BENCH_PROGS_ALL. Benchmarks are not tests: nothing asserts a time, and
# nothing in `make check` runs them.
BENCH_PROGS_ALL :=
-include $(wildcard bench/*/module.mk)

BENCH_PROGS := $(basename $(notdir $(wildcard bench/*.c)))

$(B)/bench/%: $(B)/app/bench/%.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)

BENCH_PROGS_ALL += $(BENCH_PROGS:%=$(B)/bench/%) $(B)/bin/onshi $(B)/bin/onshi-sim \
                   $(B)/bin/onshi-vcard

.PHONY: bench-run bench-quick
bench-run: $(BENCH_PROGS_ALL)
	@sh bench/run.sh $(B)
bench-quick: all $(BENCH_PROGS_ALL)
	@BENCH_QUICK=1 sh bench/run.sh $(B)

BENCH_TARGETS += bench-run
