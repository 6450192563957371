# test/unit/cli: the onshi tool's own helpers (tools/onshi/cmd.c over sys_posix.c), linked
# with the test.
CLI_LINE_OBJS := $(B)/app/tools/onshi/cmd.o $(B)/app/tools/onshi/sys_posix.o
$(B)/test/unit/cli/test_cli_line: $(B)/app/test/unit/cli/test_cli_line.o $(CLI_LINE_OBJS) \
                                  $(STATICLIB) $(TESTSUPPORT_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(CLI_LINE_OBJS) $(TESTSUPPORT_LIB) $(STATICLIB) $(APP_LDFLAGS) \
	    $(DEP_LIBS) -lcmocka
