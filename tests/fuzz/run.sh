#!/bin/sh
# Build pactd's libFuzzer targets into build-fuzz/ and run each for SECONDS.
#
#   sh tests/fuzz/run.sh SECONDS [TARGET...]
#
# TARGET is mime, bounce, subject, address, body, vote, ical, redact,
# template, config, oauth2 or header (also written fuzz_mime); all of them
# when none is given. Each runs on its own
# corpus, build-fuzz/corpus/NAME, seeded from tests/fuzz/seeds/NAME and
# tests/data; the corpus grows from run to run. One line per target is
# printed: runs, corpus size (the inputs libFuzzer kept, and the files in
# the directory), coverage, and whether it crashed. Exit status: 0 when
# no target crashed, 1 when one did (its reproducer is printed) or the
# build failed, 2 on a usage error.
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev); as root
# the missing ones are installed with apt-get. FUZZ_CC picks another clang.

set -u
cd "$(dirname "$0")/../.." || exit 1

OUT=build-fuzz
CC=${FUZZ_CC:-clang}
PKGS="libetpan libcurl sqlite3 libical inih libsystemd gnutls jansson"

# Every target there is a fuzz_NAME.c for.
all_targets() {
	for f in tests/fuzz/fuzz_*.c; do
		f=${f#tests/fuzz/fuzz_}
		echo "${f%.c}"
	done
}

usage() {
	echo "usage: sh tests/fuzz/run.sh SECONDS [TARGET...]" >&2
	echo "targets: $(all_targets | tr '\n' ' ')" >&2
	exit 2
}

# The Debian packages of clang and its libFuzzer runtime that are missing.
missing_packages() {
	ver=14
	if command -v "$CC" >/dev/null 2>&1; then
		ver=$("$CC" -dumpversion | cut -d. -f1)
	else
		echo clang
	fi
	rt="libclang-rt-$ver-dev"
	dpkg-query -W -f='${Status}' "$rt" 2>/dev/null |
	    grep -q "install ok installed" || echo "$rt"
}

# The libFuzzer runtime the compiler links with -fsanitize=fuzzer.
have_runtime() {
	command -v "$CC" >/dev/null 2>&1 || return 1
	[ -f "$("$CC" -print-resource-dir)/lib/linux/libclang_rt.fuzzer-$(uname -m).a" ]
}

# Install clang and its runtime when missing (as root), else say how.
# shellcheck disable=SC2086 # $missing is a list of package names
need_clang() {
	command -v "$CC" >/dev/null 2>&1 && have_runtime && return 0
	missing=$(missing_packages | tr '\n' ' ' | sed 's/ $//')
	if [ -z "$missing" ]; then
		echo "fuzz: $CC has no libFuzzer runtime; install clang's" \
		    "compiler-rt (libclang-rt-N-dev)" >&2
		exit 1
	fi
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "fuzz: missing: $missing" >&2
		echo "fuzz: install them with: sudo apt-get install $missing" >&2
		exit 1
	fi
	echo "fuzz: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q $missing >/dev/null 2>&1 ||
	    { apt-get update -q >/dev/null &&
	    apt-get install -y -q $missing >/dev/null; } || exit 1
	have_runtime || { echo "fuzz: still no libFuzzer runtime" >&2; exit 1; }
}

# The project's own build dependencies come from `make deps`.
# shellcheck disable=SC2086 # a list of pkg-config names
need_libs() {
	command -v make >/dev/null 2>&1 &&
	    pkg-config --exists $PKGS 2>/dev/null && return 0
	echo "fuzz: make, pkg-config or the libraries ($PKGS) are missing;" \
	    "run: make deps" >&2
	exit 1
}

build() {
	mkdir -p "$OUT"
	jobs=$(nproc 2>/dev/null || echo 2)
	if ! make -f tests/fuzz/fuzz.mk -j"$jobs" CC="$CC" OUT="$OUT" \
	    >"$OUT/build.log" 2>&1; then
		tail -n 40 "$OUT/build.log" >&2
		echo "fuzz: build failed, see $OUT/build.log" >&2
		exit 1
	fi
}

# Copy a file into the corpus once, named after where it came from.
seed_file() {
	[ -f "$2" ] || return 0
	name=$(echo "$2" | tr '/' '_')
	[ -e "$1/seed-$name" ] || cp "$2" "$1/seed-$name"
}

# Write what a mail file holds after its header (its raw body).
mail_body() {
	sed '1,/^\r\{0,1\}$/d' "$1"
}

# Write a mail's Subject header, unfolded, without the name.
mail_subject() {
	awk '/^\r?$/ { exit }
	    /^[ \t]/ { if (s) { sub(/\r$/, ""); v = v $0 }; next }
	    { s = 0 }
	    tolower($0) ~ /^subject:/ { s = 1; sub(/\r$/, ""); v = substr($0, 9) }
	    END { sub(/^[ \t]+/, "", v); printf "%s", v }' "$1"
}

# Write a mail's first From header, unfolded, without the name, then its
# first Authentication-Results value on the next line (fuzz_address).
mail_from() {
	awk '/^\r?$/ { exit }
	    /^[ \t]/ { sub(/\r$/, ""); if (s == 1) f = f $0; if (s == 2) a = a $0; next }
	    { s = 0 }
	    tolower($0) ~ /^from:/ && f == "" { s = 1; sub(/\r$/, ""); f = substr($0, 6) }
	    tolower($0) ~ /^authentication-results:/ && a == "" { s = 2; sub(/\r$/, ""); a = substr($0, 24) }
	    END { sub(/^[ \t]+/, "", f); sub(/^[ \t]+/, "", a); printf "%s\n%s", f, a }' "$1"
}

# Seed build-fuzz/corpus/NAME from tests/fuzz/seeds/NAME and tests/data.
seed() {
	t=$1 corpus=$2
	for f in tests/fuzz/seeds/"$t"/*; do
		seed_file "$corpus" "$f"
	done
	for f in tests/data/*.eml tests/data/*/*.eml; do
		[ -f "$f" ] || continue
		n="$corpus/data-$(echo "$f" | tr '/' '_')"
		[ -e "$n" ] && continue
		case $t in
		mime|ical|redact|bounce)	cp "$f" "$n" ;;
		subject)	mail_subject "$f" >"$n" ;;
		address)	mail_from "$f" >"$n" ;;
		body|vote)	mail_body "$f" >"$n" ;;
		esac
	done
	case $t in
	template)
		for f in templates/*/*.txt templates/page/*/*; do
			seed_file "$corpus" "$f"
		done ;;
	config)
		for f in config/*.conf; do
			seed_file "$corpus" "$f"
		done ;;
	esac
}

# libFuzzer writes every input that was new when found and keeps them all;
# merge the corpus down to the inputs that still add coverage.
shrink() {
	corpus="$OUT/corpus/$1"
	rm -rf "$corpus.new"
	mkdir "$corpus.new"
	if "$OUT/fuzz_$1" -merge=1 -max_len=65536 -rss_limit_mb=2048 \
	    -timeout=10 "$corpus.new" "$corpus" >"$OUT/logs/$1.merge.log" 2>&1
	then
		rm -rf "$corpus" && mv "$corpus.new" "$corpus"
	else
		rm -rf "$corpus.new"
	fi
}

# Run one target; prints its line and returns 1 when it crashed.
run() {
	t=$1
	bin="$OUT/fuzz_$t"
	corpus="$OUT/corpus/$t"
	art="$OUT/artifacts/$t"
	log="$OUT/logs/$t.log"
	mkdir -p "$corpus" "$art" "$OUT/logs"
	seed "$t" "$corpus"
	set -- -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 \
	    -timeout=10 -print_final_stats=1 -artifact_prefix="$art/"
	[ -f "tests/fuzz/$t.dict" ] && set -- "$@" -dict="tests/fuzz/$t.dict"
	"$bin" "$@" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	files=$(ls "$corpus" | wc -l)
	# libFuzzer's own count: the inputs it kept, of all the files.
	kept=$(sed -n 's/.*DONE .* corp: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	cov=$(sed -n 's/.*DONE .* cov: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
	    tail -n 1)
	if [ "$rc" -eq 0 ] && [ -z "$artifact" ]; then
		if [ "$files" -gt $((2 * ${kept:-0} + 100)) ]; then
			shrink "$t"
			files=$(ls "$corpus" | wc -l)
		fi
		printf '%-9s %10s runs  corpus %5s (%s files)  cov %5s  ok\n' \
		    "$t" "${runs:-?}" "${kept:-?}" "$files" "${cov:-?}"
		return 0
	fi
	printf '%-9s %10s runs  corpus %5s files  CRASHED (exit %s)\n' "$t" \
	    "${runs:-?}" "$files" "$rc"
	# What went wrong and the top of the stack.
	grep -m 1 -E '^==[0-9]+== ?ERROR|fuzz check failed' "$log" |
	    sed 's/^/    /'
	awk '/ERROR|fuzz check failed/ { s = 1 } s && /^ +#[0-9]+ / { print }
	    s && /^$/ && n++ { exit }' "$log" |
	    grep ' in ' | grep -v -E ' in (main|_start|__[a-z_]+|fuzzer::[^ ]+) ' |
	    head -n 4 | sed 's/ (\/.*//; s/^ */      /'
	grep -m 1 '^SUMMARY' "$log" | sed 's/^/    /'
	echo "    input: ${artifact:-none written}"
	echo "    log:   $log"
	[ -n "$artifact" ] && echo "    again: $bin $artifact"
	return 1
}

[ $# -ge 1 ] || usage
SECS=$1
shift
case $SECS in
''|*[!0-9]*) usage ;;
esac
[ "$SECS" -gt 0 ] || usage
targets=""
for t in "$@"; do
	t=${t#fuzz_}
	t=${t%.c}
	[ -f "tests/fuzz/fuzz_$t.c" ] || { echo "fuzz: no target $t" >&2; usage; }
	targets="$targets $t"
done
[ -n "$targets" ] || targets=$(all_targets)

need_clang
need_libs
build

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
status=0
echo "fuzz: ${SECS}s per target, logs in $OUT/logs/"
for t in $targets; do
	run "$t" || status=1
done
exit $status
