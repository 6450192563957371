# HTTPS benchmark: libonshi vs curl against onshi-sim on loopback, same client certificate and
# request, both sides measured (bench/https/main.c, started by bench/https/run.sh).
BENCH_HTTPS := $(B)/bench/https/bench-https

$(BENCH_HTTPS): $(B)/app/bench/https/main.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)

BENCH_PROGS_ALL += $(BENCH_HTTPS)
