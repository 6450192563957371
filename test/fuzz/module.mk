# test/fuzz: libFuzzer targets, one per hostile input (docs/reliability.md). Without FUZZ=1
# each target links runner.c and replays its corpus (make check: default and sanitizer
# passes). `make fuzz FUZZ_SECONDS=N` builds them with clang -fsanitize=fuzzer (build/fuzz/)
# and runs each for N seconds from its corpus; new inputs go to build/fuzz/corpus/NAME.
FUZZ_TARGETS := fuzz_decode fuzz_bulk fuzz_json fuzz_result fuzz_pkcs12 fuzz_cert fuzz_http \
                fuzz_zip fuzz_conf fuzz_csv fuzz_apdu fuzz_names
FUZZ_SECONDS ?= 60
# corpus folders of each target (the first is the target's own)
FUZZ_CORPUS_fuzz_decode := test/fuzz/corpus/decode test/data/codec
FUZZ_CORPUS_fuzz_bulk   := test/fuzz/corpus/bulk test/data/codec
FUZZ_CORPUS_fuzz_json   := test/fuzz/corpus/json
FUZZ_CORPUS_fuzz_result := test/fuzz/corpus/result test/data/codec
FUZZ_CORPUS_fuzz_pkcs12 := test/fuzz/corpus/pkcs12
FUZZ_CORPUS_fuzz_cert   := test/fuzz/corpus/cert
FUZZ_CORPUS_fuzz_http   := test/fuzz/corpus/http
FUZZ_CORPUS_fuzz_zip    := test/fuzz/corpus/zip
FUZZ_CORPUS_fuzz_conf   := test/fuzz/corpus/conf
FUZZ_CORPUS_fuzz_csv    := test/fuzz/corpus/csv
FUZZ_CORPUS_fuzz_apdu   := test/fuzz/corpus/apdu
FUZZ_CORPUS_fuzz_names  := test/fuzz/corpus/names
# the CSV target includes tools/onshi/cmd_batch.c and needs the other CLI objects
FUZZ_EXTRA_fuzz_csv := $(B)/app/tools/onshi/cmd_card.o $(B)/app/tools/onshi/cmd_codec.o \
                       $(B)/app/tools/onshi/cmd_verify.o $(B)/app/tools/onshi/cmd_card_tools.o \
                       $(B)/app/tools/onshi/cmd.o \
                       $(B)/app/tools/onshi/sys_posix.o
ifeq ($(FUZZ),1)
  FUZZ_MAIN :=
  FUZZ_LDFLAGS := -fsanitize=fuzzer
else
  FUZZ_MAIN := $(B)/app/test/fuzz/runner.o
  FUZZ_LDFLAGS :=
endif
.SECONDEXPANSION:
$(B)/test/fuzz/%: $(B)/app/test/fuzz/%.o $$(FUZZ_EXTRA_$$*) $(FUZZ_MAIN) $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(FUZZ_EXTRA_$*) $(FUZZ_MAIN) $(STATICLIB) $(APP_LDFLAGS) $(FUZZ_LDFLAGS) $(DEP_LIBS)

CHECK_TARGETS += fuzz-corpus
SAN_CHECK_TARGETS += fuzz-corpus
.PHONY: fuzz-corpus fuzz fuzz-build
fuzz-corpus: $(FUZZ_TARGETS:%=$(B)/test/fuzz/%)
	@$(foreach t,$(FUZZ_TARGETS),$(RUN) script $(RESULTS) "fuzz corpus: $(t)" $(B)/test/fuzz/$(t) $(FUZZ_CORPUS_$(t));)

# FUZZ=1 CC=clang build of the targets (called by `make fuzz`)
fuzz-build: $(FUZZ_TARGETS:%=$(B)/test/fuzz/%)

# Run every target for FUZZ_SECONDS with libFuzzer; prints executions per target and stops at
# the first finding (a crash-*/leak-*/timeout-* file in build/fuzz/findings/).
fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 CC=clang fuzz-build
	@sh test/fuzz/run-fuzz.sh build/fuzz "$(FUZZ_SECONDS)" $(foreach t,$(FUZZ_TARGETS),"$(t):$(FUZZ_CORPUS_$(t))")
