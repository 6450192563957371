# test/threads: 8 threads × 8 contexts (decode, encode, file exchange, HTTPS) under
# ThreadSanitizer, 0 reports (issue 12). A TSAN=1 build of the library and this one program
# only (build/tsan/), run by `make check` in the default pass.
THREADS_PKI := build/tsan/pki
CHECK_TARGETS += threads-tsan
.PHONY: threads-tsan threads-tsan-build
ifeq ($(TSAN),1)
$(B)/test/threads/test_threads: $(B)/app/test/threads/test_threads.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)
threads-tsan-build: $(B)/test/threads/test_threads
endif
threads-tsan: $(B)/bin/onshi-test-tls-server
	@$(MAKE) --no-print-directory TSAN=1 threads-tsan-build
	@rm -rf $(THREADS_PKI) && sh test/https/make-pki.sh $(THREADS_PKI) >/dev/null
	@TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1" \
	    $(RUN) script $(RESULTS) "8 threads x 8 contexts under ThreadSanitizer: 0 reports" \
	    build/tsan/test/threads/test_threads $(THREADS_PKI) $(abspath $(B)/bin/onshi-test-tls-server) \
	    test/data/codec
