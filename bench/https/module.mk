# HTTPS benchmark: libonshi vs curl against onshi-sim on loopback, same client certificate and
# request, both sides measured (bench/https/main.c). Prints numbers and ratios; asserts nothing.
BENCH_HTTPS := $(B)/bench/https/bench-https

$(BENCH_HTTPS): $(B)/app/bench/https/main.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)

.PHONY: bench-https
bench-https: $(BENCH_HTTPS) $(B)/bin/onshi-sim $(B)/bin/onshi
	@sh bench/https/run.sh $(B)/bin/onshi-sim $(BENCH_HTTPS) $(B)/bin/onshi $(BENCH_RAW)

BENCH_TARGETS += bench-https
