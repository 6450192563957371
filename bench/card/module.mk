# bench/card: libonshi vs OpenSC vs raw PC/SC on the same virtual card and the same private
# pcscd (test/integration/pcsc/harness.sh). `make bench` (bench/run.sh); not a test: it prints ratios.
BENCH_CARD := $(B)/bench/card/bench_card

$(BENCH_CARD): $(B)/app/bench/card/bench_card.o $(B)/app/test/integration/pcsc/pcsc_util.o \
               $(STATICLIB) $(B)/libtestsupport.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(B)/app/test/integration/pcsc/pcsc_util.o $(B)/libtestsupport.a \
	    $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)

BENCH_PROGS_ALL += $(BENCH_CARD)
