# service/batch over HTTPS: the bulk mode of test/tls-server (two-phase protocol, answers kept
# by Idempotency-Key) on 127.0.0.1 port 0, a fresh test PKI, stopped by PID.
HTTPS_BATCH_TEST := $(B)/test/https_batch/test_https_batch
HTTPS_BATCH_PKI  := $(B)/test/https_batch/pki

$(HTTPS_BATCH_TEST): $(B)/app/test/https_batch/test_https_batch.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS) -lcmocka

.PHONY: https-batch-integration
https-batch-integration: $(B)/bin/onshi-test-tls-server $(HTTPS_BATCH_TEST)
	@rm -rf $(HTTPS_BATCH_PKI)
	@sh test/https/make-pki.sh $(HTTPS_BATCH_PKI) >/dev/null
	@ONSHI_TEST_PKI=$(abspath $(HTTPS_BATCH_PKI)) \
	    ONSHI_TEST_TLS_SERVER=$(abspath $(B)/bin/onshi-test-tls-server) \
	    $(RUN) cmocka $(RESULTS) $(HTTPS_BATCH_TEST)

CHECK_TARGETS     += https-batch-integration
SAN_CHECK_TARGETS += https-batch-integration
