# Protocol dates are Japan time whatever the machine's zone (src/core/clock.c): `make check`
# runs the date-sensitive programs once more under TZ=UTC, Asia/Tokyo, Pacific/Kiritimati
# (UTC+14: the local date is ahead of Japan's) and America/Los_Angeles (behind, with daylight
# saving); they also stand a context at 23:30 UTC = 08:30 JST of the next day through the
# replaceable clock. (Every unit program passed under the two far-off zones on 2026-12-02;
# only these six read dates, so only they run four times.)
TZ_TEST_BINS := $(addprefix $(B)/test/unit/,core/test_clock service/test_verify \
                transport/test_file service/test_batch service/test_cardauth service/test_limit)
CHECK_TARGETS += tz-test
.PHONY: tz-test
tz-test: $(TZ_TEST_BINS)
	@for tz in UTC Asia/Tokyo Pacific/Kiritimati America/Los_Angeles; do \
	    $(RUN) script $(RESULTS) "dates under TZ=$$tz" \
	        sh -c 'for b in "$$@"; do TZ='"$$tz"' "$$b" || exit 1; done' tz $(TZ_TEST_BINS); \
	done

