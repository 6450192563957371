# HTTPS benchmark: libonshi vs curl against test/tls-server on loopback, same client
# certificate and payload. Prints numbers and ratios; asserts nothing.
BENCH_HTTPS     := $(B)/bench/https/bench-https
BENCH_HTTPS_PKI := $(B)/bench/https/pki

$(BENCH_HTTPS): $(B)/app/bench/https/main.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)

.PHONY: bench-https
bench-https: $(BENCH_HTTPS) $(B)/bin/onshi-test-tls-server
	@rm -rf $(BENCH_HTTPS_PKI)
	@sh test/https/make-pki.sh $(BENCH_HTTPS_PKI) >/dev/null
	@$(BENCH_HTTPS) $(BENCH_HTTPS_PKI) $(B)/bin/onshi-test-tls-server

BENCH_TARGETS += bench-https
