# test/e2e/card: the card-area CLI subcommands (no server needed); the end-to-end run through
# pcscd + vpcd + onshi-vcard + onshi-sim joins once both are on main (docs/workflow-card.md).
CHECK_TARGETS += card-cli-test
.PHONY: card-cli-test
card-cli-test: $(B)/bin/onshi $(B)/bin/onshi-pki
	@$(RUN) script $(RESULTS) "onshi limit / cert-info / verify-card refusals" \
	    sh test/e2e/card/cli.sh $(B)/bin/onshi $(B)/bin/onshi-pki
