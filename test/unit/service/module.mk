# test_batch_cli runs the onshi tool and examples/batch_reservations of the same build variant:
# build them before the test program.
$(B)/test/unit/service/test_batch_cli: | $(B)/bin/onshi $(B)/examples/batch_reservations
