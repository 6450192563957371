# bench/: benchmarks run by `make bench` (numbers only, nothing asserted).
BENCH_TARGETS += bench-codec
.PHONY: bench-codec
$(B)/bench/codec: $(B)/app/bench/codec.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)
bench-codec: $(B)/bench/codec
	$(B)/bench/codec
# Each benchmark lives in bench/<name>/ with its own module.mk (appending to BENCH_TARGETS).
-include $(wildcard bench/*/module.mk)
