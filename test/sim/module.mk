# Integration tests of onshi-sim (tools/onshi-sim): registry, linkage-app mode, HTTPS server
# driven by curl. Servers listen on 127.0.0.1 port 0 and are stopped by PID.
SIM_BIN := $(B)/bin/onshi-sim
.PHONY: sim-test-registry sim-test-linkage sim-test-https
CHECK_TARGETS += sim-test-registry sim-test-linkage sim-test-https
# The simulator itself also runs under ASan+UBSan (servers must stop clean, no leaks).
SAN_CHECK_TARGETS += sim-test-linkage sim-test-https sim-test-lib-https
sim-test-registry: $(SIM_BIN)
	@$(RUN) script $(RESULTS) "onshi-sim registry: seed scenarios and check digits" \
	    sh test/sim/registry.sh $(SIM_BIN)
sim-test-linkage: $(SIM_BIN)
	@$(RUN) script $(RESULTS) "onshi-sim linkage mode, face, file faults" \
	    sh test/sim/linkage.sh $(SIM_BIN)
CHECK_TARGETS += sim-test-hostile
.PHONY: sim-test-hostile
sim-test-hostile: $(SIM_BIN)
	@$(RUN) script $(RESULTS) "onshi-sim against hostile clients: slowloris, idle TCP, 413/408" \
	    sh test/sim/hostile.sh $(SIM_BIN)
sim-test-https: $(SIM_BIN)
	@$(RUN) script $(RESULTS) "onshi-sim HTTPS with curl: client cert, messages, faults" \
	    sh test/sim/https.sh $(SIM_BIN)
# libonshi's own HTTPS transport against the simulator
CHECK_TARGETS += sim-test-lib-https
.PHONY: sim-test-lib-https
$(B)/test/sim/lib_https: $(B)/app/test/sim/lib_https.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)
sim-test-lib-https: $(SIM_BIN) $(B)/test/sim/lib_https
	@$(RUN) script $(RESULTS) "onshi-sim with libonshi's HTTPS transport and codec" \
	    sh test/sim/lib-https.sh $(SIM_BIN) $(B)/test/sim/lib_https
# libonshi's own file transport against the linkage mode
CHECK_TARGETS += sim-test-lib-files
SAN_CHECK_TARGETS += sim-test-lib-files
.PHONY: sim-test-lib-files
$(B)/test/sim/lib_files: $(B)/app/test/sim/lib_files.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)
sim-test-lib-files: $(SIM_BIN) $(B)/test/sim/lib_files
	@$(RUN) script $(RESULTS) "onshi-sim linkage with libonshi's file transport and codec" \
	    sh test/sim/lib-files.sh $(SIM_BIN) $(B)/test/sim/lib_files
# Several processes sharing req/ and res/: never the wrong patient (issue 12)
CHECK_TARGETS += sim-test-lib-sharing
SAN_CHECK_TARGETS += sim-test-lib-sharing
.PHONY: sim-test-lib-sharing
$(B)/test/sim/lib_sharing: $(B)/app/test/sim/lib_sharing.o $(STATICLIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS)
sim-test-lib-sharing: $(SIM_BIN) $(B)/test/sim/lib_sharing
	@$(RUN) script $(RESULTS) "several processes on one req/res pair: 0 mix-ups, 0 duplicates, 0 losses; a wrong patient's or another batch's result is refused" \
	    sh test/sim/lib-sharing.sh $(SIM_BIN) $(B)/test/sim/lib_sharing
