# test/e2e/crash: kill -9 trials of the onshi CLI's single and batch exchanges against
# onshi-sim's linkage mode (docs/reliability.md, "kill -9 trials"). `make crash-trials`
# runs CRASH_TRIALS (200) of them and prints the figures; make check runs a short loop.
CRASH_TRIALS ?= 200
CHECK_TARGETS += crash-trials-quick
.PHONY: crash-trials crash-trials-quick
crash-trials: $(B)/bin/onshi-sim $(B)/bin/onshi
	bash test/e2e/crash/kill9.sh $(B)/bin/onshi-sim $(B)/bin/onshi $(CRASH_TRIALS)
crash-trials-quick: $(B)/bin/onshi-sim $(B)/bin/onshi
	@$(RUN) script $(RESULTS) "kill -9 at random points of single and batch exchanges: 20 trials, each answered once, nothing lost or sent twice" \
	    bash test/e2e/crash/kill9.sh $(B)/bin/onshi-sim $(B)/bin/onshi 20
