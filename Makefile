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

PKGS = libcurl sqlite3 libical inih libsystemd gnutls
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

# Everything: packages, unit tests under ASan+UBSan, the end-to-end suite
# against real Dovecot and OpenSMTPD.
check: deps
	$(MAKE) SANITIZE=1 unit
	$(MAKE) all
	/usr/bin/python3 tests/e2e/run.py

e2e: all
	/usr/bin/python3 tests/e2e/run.py

demo: deps all
	/usr/bin/python3 tests/demo/demo.py

clean:
	rm -rf build build-san

.PHONY: all unit deps check e2e demo clean
