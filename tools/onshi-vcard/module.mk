# onshi-vcard: the card core (vcard.c) and its certificate source (vcard_pki.c) also go into
# the test-support archive, so unit tests and other tools can hold the card in-process
# (vcard_transmit_cb has the shape of the library's vendor transmit callback). Another tool
# links them with NAME_EXTRA_OBJ += $(VCARD_OBJ) $(B)/app/tools/onshi-pki/pki.o
TESTSUPPORT_SRC += tools/onshi-vcard/vcard.c tools/onshi-vcard/vcard_pki.c
VCARD_OBJ := $(B)/app/tools/onshi-vcard/vcard.o $(B)/app/tools/onshi-vcard/vcard_pki.o
onshi-vcard_EXTRA_OBJ += $(B)/app/tools/onshi-pki/pki.o
INSTALL_TOOLS += onshi-vcard
