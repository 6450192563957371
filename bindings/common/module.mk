# The binding tests' shared pieces: the in-process virtual card as a shared library (test
# tooling, never installed) and the simulator harness. `make check-bindings` runs the constants
# check and the three bindings' suites; each is also in CHECK_TARGETS (make check).
BINDINGS_B   := $(B)/bindings
TESTCARD_LIB := $(BINDINGS_B)/libonshi-testcard.so
$(TESTCARD_LIB): bindings/common/testcard.c $(VCARD_OBJ) $(B)/app/tools/onshi-pki/pki.o
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -fPIC -fvisibility=hidden -Iinclude $(SAN) $(CFLAGS) -shared -o $@ $< \
	    $(VCARD_OBJ) $(B)/app/tools/onshi-pki/pki.o -Wl,--no-undefined $(APP_LDFLAGS) \
	    -lmbedtls -lmbedx509 -lmbedcrypto -lpthread

# onshi-sim on 127.0.0.1 for the duration of one suite, stopped by its PID.
BINDING_SIM := sh bindings/with-sim.sh $(abspath $(B)/bin/onshi-sim) $(abspath $(TESTCARD_LIB))
BINDING_DEPS := lib $(B)/bin/onshi-sim $(TESTCARD_LIB)

CHECK_TARGETS += bindings-constants-test
.PHONY: check-bindings bindings-constants-test bindings-gen
check-bindings: bindings-constants-test python-binding-test dotnet-binding-test java-binding-test

# The generated constants and native declarations are those of the header (tools/gen-bindings.py).
bindings-constants-test:
	@$(RUN) script $(RESULTS) "binding constants and declarations = include/onshi.h" \
	    python3 tools/gen-bindings.py --check

bindings-gen:
	python3 tools/gen-bindings.py
