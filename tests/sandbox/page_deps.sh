#!/bin/sh
# What the public page's tests need (tests/e2e/test_page.py), installed only
# when missing, unattended, as root or through sudo on Debian 12:
# Debian's chromium (/usr/bin/chromium; never a browser downloaded by a test
# tool), Node.js with npm, python3-feedparser and sqlite3; then the pinned
# playwright-core and axe-core of tests/page (npm ci, only when node_modules
# is not already what package-lock.json says).
set -e
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PAGE="$TOP/tests/page"

PKGS="chromium python3-feedparser sqlite3 ca-certificates"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# Node.js and npm: any that is on the PATH will do (NodeSource's nodejs
# carries its own npm and conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
	echo "installing:$missing"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get install -y -q $missing >/dev/null 2>&1 ||
		{ $SUDO apt-get update -q >/dev/null &&
		  $SUDO apt-get install -y -q $missing >/dev/null; }
fi
[ -x /usr/bin/chromium ] || { echo "page_deps: /usr/bin/chromium is missing" >&2; exit 1; }

# The browser is Debian's: playwright-core never downloads one.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
stamp="$PAGE/node_modules/.pactd-lock"
if [ -f "$stamp" ] && cmp -s "$stamp" "$PAGE/package-lock.json" &&
	[ -f "$PAGE/node_modules/playwright-core/package.json" ] &&
	[ -f "$PAGE/node_modules/axe-core/axe.min.js" ]; then
	exit 0
fi
echo "npm ci in tests/page"
(cd "$PAGE" && npm ci --no-audit --no-fund --loglevel=error)
cp "$PAGE/package-lock.json" "$stamp"
