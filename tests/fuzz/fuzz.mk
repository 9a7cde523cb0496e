# Build the libFuzzer targets into build-fuzz/; run from the top of the tree
# (tests/fuzz/run.sh does): make -f tests/fuzz/fuzz.mk [-j N] [CC=clang-14]
#
# The project sources are compiled again with clang and the fuzzer's
# coverage instrumentation (build/libpactd.a is gcc-built without it), with
# ASan and UBSan, and UBSan made fatal so that libFuzzer sees its reports.

CC = clang
OUT = build-fuzz
PKGS = libcurl sqlite3 libical inih libsystemd gnutls jansson

SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
PKG_CFLAGS := $(shell pkg-config --cflags libetpan $(PKGS))
PKG_LIBS := -letpan $(shell pkg-config --libs $(PKGS))
CFLAGS = -g -O1 -std=c17 -D_GNU_SOURCE $(SAN) $(PKG_CFLAGS) -Isrc
# Other people's warnings are theirs: the fuzz build only reports errors.
SRC_CFLAGS = $(CFLAGS) -fsanitize=fuzzer-no-link -w
FUZZ_CFLAGS = $(CFLAGS) -Wall -Wextra -Werror -Wno-unused-parameter
LDFLAGS = -fsanitize=fuzzer $(SAN)

MAINS = src/pactd.c src/pactctl.c
LIB_SRCS = $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_OBJS = $(LIB_SRCS:src/%.c=$(OUT)/obj/%.o)
TARGET_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
TARGETS = $(TARGET_SRCS:tests/fuzz/%.c=$(OUT)/%)

all: $(TARGETS)

$(OUT)/obj/%.o: src/%.c src/*.h
	@mkdir -p $(OUT)/obj
	$(CC) $(SRC_CFLAGS) -c -o $@ $<

$(OUT)/libpactd-fuzz.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(OUT)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h src/*.h \
    $(OUT)/libpactd-fuzz.a
	$(CC) $(FUZZ_CFLAGS) $(LDFLAGS) -o $@ $< $(OUT)/libpactd-fuzz.a \
	    $(PKG_LIBS)

.PHONY: all
.SUFFIXES:
