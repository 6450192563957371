# End-to-end: the onshi CLI's batch (libonshi's bulk engine) against onshi-sim over files and
# HTTPS, with the processing delay, the endless "still processing" fault, interruption and
# resume after a simulator restart. Servers on 127.0.0.1 port 0, stopped by PID.
.PHONY: e2e-batch
CHECK_TARGETS += e2e-batch
e2e-batch: $(B)/bin/onshi-sim $(B)/bin/onshi $(B)/examples/batch_reservations
	@$(RUN) script $(RESULTS) "e2e: onshi batch and examples/batch_reservations against onshi-sim (files, HTTPS, endless processing, resume)" \
	    sh test/e2e/batch/batch.sh $(B)/bin/onshi-sim $(B)/bin/onshi $(B)/examples/batch_reservations
