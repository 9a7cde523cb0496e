# pactd — plain GNU make with pkg-config.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= gcc
SANITIZE ?= 0

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SAN =
endif

VERSION = 0.9.0

PKGS = libcurl sqlite3 libical inih libsystemd gnutls jansson
ALL_PKGS = libetpan $(PKGS)

# pkg-config is asked when a recipe first needs its answer, never when this
# file is read: `make demo` installs the packages before it builds. A build
# without them stops here with their names instead of at the link.
# Each is asked once, then kept (a recursive variable that replaces itself).
PKG_MISSING = $(eval PKG_MISSING := $(strip $(shell \
	command -v pkg-config >/dev/null 2>&1 || echo pkg-config; \
	for p in $(ALL_PKGS); do \
	pkg-config --exists $$p 2>/dev/null || echo $$p; done)))$(PKG_MISSING)
pkg_query = $(if $(PKG_MISSING),$(error pkg-config: missing $(PKG_MISSING) \
	— run make deps),$(shell pkg-config $(1)))
# libetpan's .pc drags in no-pie link specs and libraries it does not need.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(call pkg_query,--cflags $(ALL_PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := -letpan $(call pkg_query,--libs $(PKGS)))$(PKG_LIBS)

# CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are the packager's; warnings are
# errors only in the project's own builds (make check sets WERROR=1).
CFLAGS ?= -O2 -g
WERROR ?= 0
WARNINGS = -Wall -Wextra -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
PACTD_CPPFLAGS = -D_GNU_SOURCE -DPACTD_VERSION='"$(VERSION)"' $(PKG_CFLAGS) \
	$(CPPFLAGS)
PACTD_CFLAGS = -std=c17 $(WARNINGS) $(SAN) $(CFLAGS)
PACTD_LDFLAGS = $(SAN) $(LDFLAGS)
PACTD_LIBS = $(PKG_LIBS) $(LDLIBS)

MAINS = src/pactd.c src/pactctl.c
LIB_SRCS = $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/pactd $(BUILD)/pactctl

# Each object depends on the headers it includes, as the compiler found
# them (-MMD); -MP keeps a removed header from stopping the build.
# An object without its .d (a build from before -MMD) is rebuilt: the
# empty rule makes a missing .d count as changed.
DEPFLAGS = -MMD -MP

$(BUILD)/%.o: src/%.c $(BUILD)/%.d | $(BUILD)
	$(CC) $(DEPFLAGS) $(PACTD_CPPFLAGS) $(PACTD_CFLAGS) -c -o $@ $<

$(BUILD)/libpactd.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/pactd: $(BUILD)/pactd.o $(BUILD)/libpactd.a
	$(CC) $(PACTD_CFLAGS) $(PACTD_LDFLAGS) -o $@ $^ $(PACTD_LIBS)

$(BUILD)/pactctl: $(BUILD)/pactctl.o $(BUILD)/libpactd.a
	$(CC) $(PACTD_CFLAGS) $(PACTD_LDFLAGS) -o $@ $^ $(PACTD_LIBS)

# Each unit binary with the helpers they share (tests/unit/unit.h).
$(BUILD)/tests/unit.o: tests/unit/unit.c | $(BUILD)
	$(CC) $(DEPFLAGS) $(PACTD_CPPFLAGS) -Isrc $(PACTD_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/tests/unit.o $(BUILD)/libpactd.a \
    | $(BUILD)
	$(CC) $(DEPFLAGS) $(PACTD_CPPFLAGS) -Isrc $(PACTD_CFLAGS) \
	    $(PACTD_LDFLAGS) -o $@ $< $(BUILD)/tests/unit.o \
	    $(BUILD)/libpactd.a $(PACTD_LIBS) -lcmocka

$(BUILD):
	mkdir -p $(BUILD)/tests

# The dependencies of the last build; none before the first.
-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)
DEPFILES = $(patsubst src/%.c,$(BUILD)/%.d,$(wildcard src/*.c))
$(DEPFILES):

# Unit tests, each binary on its own.
unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
	  (cd tests/unit && ../../$$t); done

deps:
	@sh tests/sandbox/deps.sh
	@sh tests/sandbox/page_deps.sh

# Everything: packages, unit tests under ASan+UBSan, the end-to-end suite
# against real Dovecot and OpenSMTPD with pactd and pactctl under ASan+UBSan
# too, a short crash torture, a short run of power cuts and a short fuzzing
# run of every parser.
# Packages first, then the builds in sub-makes that ask pkg-config anew.
check: deps
	$(MAKE) SANITIZE=1 WERROR=1 unit
	$(MAKE) WERROR=1 e2e-san
	$(MAKE) WERROR=1 all
	$(MAKE) WERROR=1 $(BUILD)/powercut.so
	/usr/bin/python3 tests/torture/torture.py --mails 120 --kills 20
	/usr/bin/python3 tests/torture/powercut.py --mails 120 --cuts 12
	sh tests/fuzz/run.sh 10

# The long runs, by hand.
torture: all
	/usr/bin/python3 tests/torture/torture.py --mails 1000 --kills 200

# Power cuts, by hand: every life of pactd ends in one (tests/powercut).
powercut: all $(BUILD)/powercut.so
	/usr/bin/python3 tests/torture/powercut.py --mails 400 --cuts 150

# The power-cut shim, preloaded into pactd by tests/torture/powercut.py;
# never linked into pactd. No sanitizers: it must load before everything.
POWERCUT_SRCS = $(wildcard tests/powercut/*.c)
$(BUILD)/powercut.so: $(POWERCUT_SRCS) tests/powercut/power.h | $(BUILD)
	$(CC) -D_GNU_SOURCE -U_FORTIFY_SOURCE $(call pkg_query,--cflags sqlite3) \
	    -std=c17 $(WARNINGS) $(CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ \
	    $(POWERCUT_SRCS) $(call pkg_query,--libs sqlite3) -ldl -lpthread

fuzz:
	sh tests/fuzz/run.sh 300

bench: deps
	$(MAKE) all $(BUILD)/maxrss
	/usr/bin/python3 tests/bench/bench.py

$(BUILD)/maxrss: tests/bench/maxrss.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(PACTD_CFLAGS) $(PACTD_LDFLAGS) -o $@ $<

# The end-to-end suite with pactd under valgrind: a memory error or a
# definite leak fails a test (exit 99) or leaves a report behind.
check-valgrind: deps
	$(MAKE) all
	rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	PACTD_VALGRIND_LOG=$(CURDIR)/$(BUILD)/valgrind/pactd.%p.log \
	PACTD_BUILD=$(CURDIR)/tests/valgrind/bin /usr/bin/python3 tests/e2e/run.py
	@! find $(BUILD)/valgrind -size +0 | grep . || \
	  (echo "valgrind reports above"; exit 1)

e2e: all $(BUILD)/powercut.so
	/usr/bin/python3 tests/e2e/run.py $(E2E)

# The end-to-end suite against the sanitizer build (E2E=test_x.py for one
# file). A report stops the process with exit 99, which fails its test,
# and leaves a log behind, which fails the run even where a test did not
# look at that exit: a daemon stopped by SIGTERM, a child of pactd. ASan
# writes its log itself; pactlib keeps the stderr that holds a UBSan one.
SAN_REPORTS = $(CURDIR)/build-san/reports
e2e-san:
	$(MAKE) SANITIZE=1 all build-san/powercut.so
	rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	@rc=0; \
	ASAN_OPTIONS=halt_on_error=1:exitcode=99:log_path=$(SAN_REPORTS)/asan \
	UBSAN_OPTIONS=halt_on_error=1:exitcode=99:print_stacktrace=1 \
	PACTD_SAN_REPORTS=$(SAN_REPORTS) PACTD_BUILD=$(CURDIR)/build-san \
	    /usr/bin/python3 tests/e2e/run.py $(E2E) || rc=$$?; \
	if find $(SAN_REPORTS) -type f | grep -q .; then \
	  cat $(SAN_REPORTS)/*; echo "sanitizer reports above"; exit 1; fi; \
	exit $$rc

demo: deps
	$(MAKE) all
	/usr/bin/python3 tests/demo/demo.py $(DEMO_ARGS)

BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
DATADIR = $(PREFIX)/share/pactd
MANDIR = $(PREFIX)/share/man
SYSCONFDIR ?= /etc/pactd
# Where this system's systemd looks for units, asked when installing.
UNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd \
	2>/dev/null | grep . || echo /lib/systemd/system)
UNITS = pactd.service pactd@.service pactd-backup.service \
	pactd-backup@.service pactd-backup.timer pactd-backup@.timer
MAN5 = pactd.conf.5 roster.conf.5
MAN8 = pactd.8 pactctl.8

# Binaries, templates, man pages, units; the sample configuration only
# where none exists, so that an update never overwrites the operator's.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(BUILD)/pactd $(DESTDIR)$(SBINDIR)/pactd
	install -m 755 $(BUILD)/pactctl $(DESTDIR)$(BINDIR)/pactctl
	for d in da en page/da page/en; do \
	  install -d $(DESTDIR)$(DATADIR)/templates/$$d; \
	  install -m 644 templates/$$d/* $(DESTDIR)$(DATADIR)/templates/$$d/; \
	done
	install -m 644 $(MAN8:%=man/%) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 $(MAN5:%=man/%) $(DESTDIR)$(MANDIR)/man5/
	for f in pactd.conf roster.conf; do \
	  [ -e $(DESTDIR)$(SYSCONFDIR)/$$f ] || \
	    sed 's|/usr/share/pactd|$(DATADIR)|' config/$$f > \
	    $(DESTDIR)$(SYSCONFDIR)/$$f; \
	done
	for u in $(UNITS); do \
	  sed -e 's|@SBINDIR@|$(SBINDIR)|' -e 's|@BINDIR@|$(BINDIR)|' \
	    systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u; \
	done

# Everything but the configuration and the data.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/pactd $(DESTDIR)$(BINDIR)/pactctl \
	    $(MAN8:%=$(DESTDIR)$(MANDIR)/man8/%) \
	    $(MAN5:%=$(DESTDIR)$(MANDIR)/man5/%) \
	    $(UNITS:%=$(DESTDIR)$(UNITDIR)/%)
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san build-fuzz

.PHONY: all unit deps check e2e e2e-san demo torture powercut fuzz bench \
	check-valgrind \
	install uninstall clean
