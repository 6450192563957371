# test/valgrind: every unit-test program once more under valgrind memcheck (default build
# only: ASan and valgrind do not mix). A definite leak or an invalid access fails the program
# (exit 99). The whole set takes about 70-80 s on 2 cores.
VALGRIND_WRAP := valgrind -q --error-exitcode=99 --leak-check=full \
                 --errors-for-leak-kinds=definite --track-fds=no \
                 --suppressions=test/valgrind/onshi.supp

CHECK_TARGETS += valgrind-unit
.PHONY: valgrind-unit
# (unit-build, not $(UNIT_BINS): this file is read before the Makefile sets UNIT_BINS, so the
# list would be empty here and `make -j2 check` would start valgrind on programs not built yet)
valgrind-unit: unit-build
	@if command -v valgrind >/dev/null 2>&1; then \
	    ONSHI_TEST_WRAP="$(VALGRIND_WRAP)" $(RUN) cmocka $(RESULTS) $(UNIT_BINS); \
	else \
	    echo "valgrind missing (make deps): memcheck pass not run"; \
	    printf 'script:valgrind_missing 0 1\n' >>$(RESULTS); \
	fi
