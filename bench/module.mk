# bench/: `make bench` runs every benchmark. A benchmark is either one program bench/NAME.c
# (linked with the static library, so internal hooks are reachable) or a folder bench/NAME/
# with its own module.mk appending to BENCH_TARGETS.
-include $(wildcard bench/*/module.mk)

BENCH_PROGS := $(basename $(notdir $(wildcard bench/*.c)))

$(B)/bench/%: $(B)/app/bench/%.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)

.PHONY: $(BENCH_PROGS:%=bench-%)
$(BENCH_PROGS:%=bench-%): bench-%: $(B)/bench/%
	$(B)/bench/$*

BENCH_TARGETS += $(BENCH_PROGS:%=bench-%)
