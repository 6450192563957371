# tools/onshi: the command-line tool; installed with the library.
INSTALL_TOOLS += onshi
