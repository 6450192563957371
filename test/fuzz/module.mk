# test/fuzz: one target per decoder. Without libFuzzer each target links runner.c and replays
# its corpus (make check, default and sanitizer passes). With FUZZ=1 and clang they link
# libFuzzer instead:  make FUZZ=1 CC=clang build/default/test/fuzz/fuzz_decode
FUZZ_TARGETS := fuzz_decode fuzz_bulk fuzz_json
FUZZ ?= 0
ifeq ($(FUZZ),1)
  FUZZ_MAIN :=
  FUZZ_LDFLAGS := -fsanitize=fuzzer
else
  FUZZ_MAIN := $(B)/app/test/fuzz/runner.o
  FUZZ_LDFLAGS :=
endif
$(B)/test/fuzz/%: $(B)/app/test/fuzz/%.o $(FUZZ_MAIN) $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(FUZZ_MAIN) $(STATICLIB) $(APP_LDFLAGS) $(FUZZ_LDFLAGS) $(DEP_LIBS)

CHECK_TARGETS += fuzz-corpus
SAN_CHECK_TARGETS += fuzz-corpus
.PHONY: fuzz-corpus
fuzz-corpus: $(FUZZ_TARGETS:%=$(B)/test/fuzz/%)
	@$(RUN) script $(RESULTS) "fuzz corpus: decode" $(B)/test/fuzz/fuzz_decode test/fuzz/corpus/decode test/data/codec
	@$(RUN) script $(RESULTS) "fuzz corpus: bulk" $(B)/test/fuzz/fuzz_bulk test/fuzz/corpus/bulk test/data/codec
	@$(RUN) script $(RESULTS) "fuzz corpus: json" $(B)/test/fuzz/fuzz_json test/fuzz/corpus/json
