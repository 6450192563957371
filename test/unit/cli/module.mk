# test/unit/cli: the onshi tool's own helpers (tools/onshi/cmd.c), linked with the test.
$(B)/test/unit/cli/test_cli_line: $(B)/app/test/unit/cli/test_cli_line.o \
                                  $(B)/app/tools/onshi/cmd.o $(STATICLIB) $(TESTSUPPORT_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(B)/app/tools/onshi/cmd.o $(TESTSUPPORT_LIB) $(STATICLIB) $(APP_LDFLAGS) \
	    $(DEP_LIBS) -lcmocka
