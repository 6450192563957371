# bench/: each benchmark is a program linked with the static library (internal hooks are
# reachable), run by `make bench` (numbers only, nothing asserted).
BENCH_PROGS := $(basename $(notdir $(wildcard bench/*.c)))

$(B)/bench/%: $(B)/app/bench/%.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)

.PHONY: $(BENCH_PROGS:%=bench-%)
$(BENCH_PROGS:%=bench-%): bench-%: $(B)/bench/%
	$(B)/bench/$*

BENCH_TARGETS += $(BENCH_PROGS:%=bench-%)
# Benchmarks with a folder of their own (bench/<name>/module.mk) append to BENCH_TARGETS.
-include $(wildcard bench/*/module.mk)
