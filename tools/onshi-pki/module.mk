# The test PKI is linked into every unit test (test-support archive) and into tools that
# name it: NAME_EXTRA_OBJ += $(PKI_OBJ)
TESTSUPPORT_SRC += tools/onshi-pki/pki.c
PKI_OBJ := $(B)/app/tools/onshi-pki/pki.o
