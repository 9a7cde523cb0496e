#!/bin/sh
# Install the Debian packages that pactd and its tests need, only those
# missing. libcurl4-gnutls-dev because libetpan-dev depends on it; nginx
# (its dav module is built in) and openssh-server for tests/e2e/test_publish.py.
set -e
PKGS="build-essential pkg-config libetpan-dev libcurl4-gnutls-dev libsqlite3-dev
libical-dev libinih-dev libcmocka-dev libsystemd-dev libgnutls28-dev libjansson-dev sqlite3
dovecot-imapd dovecot-lmtpd dovecot-submissiond opensmtpd python3 python3-icalendar python3-vobject
tzdata openssl valgrind nginx openssh-server openssh-client mandoc man-db systemd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q $missing >/dev/null 2>&1 ||
	{ $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q $missing >/dev/null; }
