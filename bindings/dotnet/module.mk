# .NET binding: Onshi.dll (C#, P/Invoke) built with Mono's mcs for the .NET Framework 4.x
# profile (the same source builds for netstandard2.0), NUnit 2.6 tests under Mono against the
# freshly built library (LD_LIBRARY_PATH: the source tree's build, asked for explicitly),
# onshi-sim and the in-process virtual card; then the README example compiled and run.
# Toolchain: mono-mcs, mono-runtime, nunit-console, libnunit-cil-dev (`make deps`).
DOTNET_B   := $(B)/bindings/dotnet
DOTNET_DLL := $(DOTNET_B)/Onshi.dll
DOTNET_SRC := $(wildcard bindings/dotnet/Onshi/*.cs)
NUNIT_DLL  ?= /usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll
MCS        ?= mcs
CHECK_TARGETS += dotnet-binding-test dotnet-binding-example
.PHONY: dotnet-binding dotnet-binding-test dotnet-binding-example
dotnet-binding: $(DOTNET_DLL)

$(DOTNET_DLL): $(DOTNET_SRC) bindings/dotnet/Onshi/Onshi.dll.config
	@command -v $(MCS) >/dev/null 2>&1 || \
	    { echo ".NET binding: $(MCS) is missing: run make deps (mono-mcs)"; exit 1; }
	@mkdir -p $(dir $@)
	$(MCS) -nologo -warnaserror+ -nowarn:1591 -target:library -out:$@ -doc:$(DOTNET_B)/Onshi.xml $(DOTNET_SRC)
	cp bindings/dotnet/Onshi/Onshi.dll.config $@.config

$(DOTNET_B)/Onshi.Tests.dll: $(DOTNET_DLL) $(wildcard bindings/dotnet/Onshi.Tests/*.cs)
	@[ -f $(NUNIT_DLL) ] || { echo ".NET binding: NUnit is missing: run make deps (libnunit-cil-dev)"; exit 1; }
	$(MCS) -nologo -warnaserror+ -target:library -out:$@ -r:$(DOTNET_DLL) -r:$(NUNIT_DLL) -r:System.Core.dll \
	    $(wildcard bindings/dotnet/Onshi.Tests/*.cs)

dotnet-binding-test: $(BINDING_DEPS) $(DOTNET_B)/Onshi.Tests.dll
	@command -v nunit-console >/dev/null 2>&1 || \
	    { echo ".NET binding: nunit-console is missing: run make deps (nunit-console)"; exit 1; }
	@sh bindings/run-tests.sh nunit $(RESULTS) ".NET binding (NUnit, Mono)" \
	    env LD_LIBRARY_PATH=$(abspath $(OUTLIB)):$(abspath $(BINDINGS_B)) ONSHI_SOURCE_ROOT=$(abspath .) \
	    $(BINDING_SIM) nunit-console -nologo -noshadow -labels -xml=$(abspath $(DOTNET_B))/TestResult.xml \
	    $(abspath $(DOTNET_B))/Onshi.Tests.dll

dotnet-binding-example: $(BINDING_DEPS) $(DOTNET_DLL)
	@$(RUN) script $(RESULTS) ".NET binding: README example" \
	    env LD_LIBRARY_PATH=$(abspath $(OUTLIB)) MCS=$(MCS) DOTNET_B=$(abspath $(DOTNET_B)) \
	    $(BINDING_SIM) sh bindings/dotnet/example-test.sh
