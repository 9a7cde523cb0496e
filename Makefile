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

PKGS = libcurl sqlite3 libical inih libsystemd gnutls jansson
# libetpan's .pc drags in no-pie link specs and libraries it does not need.
ETPAN_CFLAGS := $(shell pkg-config --cflags libetpan 2>/dev/null)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
	$(SAN) $(ETPAN_CFLAGS) $(PKG_CFLAGS)
LDLIBS += -letpan $(PKG_LIBS)
LDFLAGS += $(SAN)

MAINS = src/pactd.c src/pactctl.c
LIB_SRCS = $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/pactd $(BUILD)/pactctl

$(BUILD)/%.o: src/%.c src/*.h | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libpactd.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/pactd: $(BUILD)/pactd.o $(BUILD)/libpactd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/pactctl: $(BUILD)/pactctl.o $(BUILD)/libpactd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libpactd.a src/*.h | $(BUILD)
	$(CC) $(CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(BUILD)/libpactd.a $(LDLIBS) -lcmocka

$(BUILD):
	mkdir -p $(BUILD)/tests

# Unit tests, each binary on its own.
unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
	  (cd tests/unit && ../../$$t); done

deps:
	@sh tests/sandbox/deps.sh
	@sh tests/sandbox/page_deps.sh

# Everything: packages, unit tests under ASan+UBSan, the end-to-end suite
# against real Dovecot and OpenSMTPD, a short crash torture and a short
# fuzzing run of every parser.
check: deps
	$(MAKE) SANITIZE=1 unit
	$(MAKE) all
	/usr/bin/python3 tests/e2e/run.py
	/usr/bin/python3 tests/torture/torture.py --mails 120 --kills 20
	sh tests/fuzz/run.sh 10

# The long runs, by hand.
torture: all
	/usr/bin/python3 tests/torture/torture.py --mails 1000 --kills 200

fuzz:
	sh tests/fuzz/run.sh 300

bench: deps all $(BUILD)/maxrss
	/usr/bin/python3 tests/bench/bench.py

$(BUILD)/maxrss: tests/bench/maxrss.c | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $<

# The end-to-end suite with pactd under valgrind: a memory error or a
# definite leak fails a test (exit 99) or leaves a report behind.
check-valgrind: deps all
	rm -rf $(BUILD)/valgrind && mkdir -p $(BUILD)/valgrind
	PACTD_VALGRIND_LOG=$(CURDIR)/$(BUILD)/valgrind/pactd.%p.log \
	PACTD_BUILD=$(CURDIR)/tests/valgrind/bin /usr/bin/python3 tests/e2e/run.py
	@! find $(BUILD)/valgrind -size +0 | grep . || \
	  (echo "valgrind reports above"; exit 1)

e2e: all
	/usr/bin/python3 tests/e2e/run.py

demo: deps all
	/usr/bin/python3 tests/demo/demo.py $(DEMO_ARGS)

BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
DATADIR = $(PREFIX)/share/pactd
MANDIR = $(PREFIX)/share/man
SYSCONFDIR ?= /etc/pactd
UNITDIR ?= /lib/systemd/system

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
	install -m 644 man/pactd.8 man/pactctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/pactd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	for f in pactd.conf roster.conf; do \
	  [ -e $(DESTDIR)$(SYSCONFDIR)/$$f ] || \
	    sed 's|/usr/share/pactd|$(DATADIR)|' config/$$f > \
	    $(DESTDIR)$(SYSCONFDIR)/$$f; \
	done
	for u in pactd.service pactd-backup.service pactd-backup.timer; do \
	  sed -e 's|@SBINDIR@|$(SBINDIR)|' -e 's|@BINDIR@|$(BINDIR)|' \
	    systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u; \
	done

# Everything but the configuration and the data.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/pactd $(DESTDIR)$(BINDIR)/pactctl \
	    $(DESTDIR)$(MANDIR)/man8/pactd.8 $(DESTDIR)$(MANDIR)/man8/pactctl.8 \
	    $(DESTDIR)$(MANDIR)/man5/pactd.conf.5 \
	    $(DESTDIR)$(UNITDIR)/pactd.service \
	    $(DESTDIR)$(UNITDIR)/pactd-backup.service \
	    $(DESTDIR)$(UNITDIR)/pactd-backup.timer
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san build-fuzz

.PHONY: all unit deps check e2e demo torture fuzz bench check-valgrind \
	install uninstall clean
