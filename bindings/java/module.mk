# Java binding: org.libonshi (JNA) compiled with plain javac into onshi.jar, JUnit 5 tests
# (console launcher) against the freshly built library (ONSHI_LIBRARY: the source tree's build,
# asked for explicitly), onshi-sim and the in-process virtual card; then the README example
# run as written. Toolchain: default-jdk-headless, libjna-java, junit5 (`make deps`).
JAVA_B    := $(B)/bindings/java
JAVA_JAR  := $(JAVA_B)/onshi.jar
JNA_JAR   ?= /usr/share/java/jna.jar
JUNIT_JAR ?= /usr/share/java/junit-platform-console-standalone.jar
JAVA_SRC  := $(wildcard bindings/java/src/org/libonshi/*.java)
# A fixed heap touched at start, the C1 compiler only and two malloc arenas: the RSS of the
# leak test then shows native memory, not the JVM's own growth.
JAVA_TEST_OPTS ?= -Xms96m -Xmx96m -XX:+AlwaysPreTouch -XX:+UseSerialGC -XX:TieredStopAtLevel=1
CHECK_TARGETS += java-binding-test java-binding-example
.PHONY: java-binding java-binding-test java-binding-example
java-binding: $(JAVA_JAR)

$(JAVA_JAR): $(JAVA_SRC)
	@command -v javac >/dev/null 2>&1 || { echo "Java binding: javac is missing: run make deps (default-jdk-headless)"; exit 1; }
	@[ -f $(JNA_JAR) ] || { echo "Java binding: JNA is missing: run make deps (libjna-java)"; exit 1; }
	@rm -rf $(JAVA_B)/classes && mkdir -p $(JAVA_B)/classes
	@echo "javac -Werror -Xlint:all bindings/java/src -> $@"
	@javac -Werror -Xlint:all,-serial -encoding UTF-8 -d $(JAVA_B)/classes -cp $(JNA_JAR) $(JAVA_SRC)
	@jar cf $@ -C $(JAVA_B)/classes .

$(JAVA_B)/tests.stamp: $(JAVA_JAR) $(wildcard bindings/java/test/org/libonshi/*.java)
	@[ -f $(JUNIT_JAR) ] || { echo "Java binding: JUnit 5 is missing: run make deps (junit5)"; exit 1; }
	@rm -rf $(JAVA_B)/test-classes && mkdir -p $(JAVA_B)/test-classes
	@echo "javac bindings/java/test -> $(JAVA_B)/test-classes"
	@javac -encoding UTF-8 -d $(JAVA_B)/test-classes -cp $(JAVA_JAR):$(JNA_JAR):$(JUNIT_JAR) \
	    $(wildcard bindings/java/test/org/libonshi/*.java)
	@touch $@

java-binding-test: $(BINDING_DEPS) $(JAVA_B)/tests.stamp
	@sh bindings/run-tests.sh junit $(RESULTS) "Java binding (JUnit 5)" \
	    env ONSHI_LIBRARY=$(abspath $(SHLIB)) ONSHI_SOURCE_ROOT=$(abspath .) MALLOC_ARENA_MAX=2 \
	    $(BINDING_SIM) java $(JAVA_TEST_OPTS) -jar $(JUNIT_JAR) --disable-banner --details=tree \
	    --disable-ansi-colors -cp $(abspath $(JAVA_B))/test-classes:$(abspath $(JAVA_JAR)):$(JNA_JAR) \
	    --select-package org.libonshi

java-binding-example: $(BINDING_DEPS) $(JAVA_JAR)
	@$(RUN) script $(RESULTS) "Java binding: README example" \
	    env ONSHI_LIBRARY=$(abspath $(SHLIB)) CP=$(abspath $(JAVA_JAR)):$(JNA_JAR) \
	    $(BINDING_SIM) sh bindings/java/example-test.sh
