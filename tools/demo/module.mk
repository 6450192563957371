# tools/demo: `make demo` — the main job on the embedded default (docs/demo.md). Builds, makes
# the test PKI and the simulator's registry, starts onshi-sim on 127.0.0.1 (kernel-chosen
# port), runs onshi-demo with the virtual card in-process, stops the simulator by PID.
# demo.c has no main.c name on purpose: it is built only here, with the vcard core.
DEMO_BIN := $(B)/bin/onshi-demo
# (the vcard objects by name: tools/onshi-vcard/module.mk is read after this file)
$(DEMO_BIN): $(B)/app/tools/demo/demo.o $(B)/app/tools/onshi-vcard/vcard.o \
             $(B)/app/tools/onshi-vcard/vcard_pki.o $(B)/app/tools/onshi-pki/pki.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(filter %.o,$^) $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)

.PHONY: demo demo-run
demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: all $(DEMO_BIN)
	@sh tools/demo/demo.sh $(B)

# make check compiles the demo program (it runs only with onshi-sim: make demo).
CHECK_TARGETS += demo-build
.PHONY: demo-build
demo-build: $(DEMO_BIN)
