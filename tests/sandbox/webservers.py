#!/usr/bin/python3
"""Private web and SFTP servers on loopback for the public page's tests:
Debian's nginx (serving folders, and receiving files over WebDAV with its
dav module and basic authentication) and OpenSSH's sshd (receiving files
over SFTP with internal-sftp). Each instance runs from a directory of its
own (configuration, pid, logs, temporary files), in the foreground as a
child of the test, on 127.0.0.1 and a free port; stop() ends it by its PID.
Standard library only; run as root (the test user is root, logging in with
a key of its own).

    from webservers import Nginx, Sshd
    web = Nginx(d, serve={"/pagt/": "/some/www"})   # GET /pagt/x -> /some/www/pagt/x
    dav = Nginx(d2, dav=("/dav/", "/some/davroot"), users={"pub": "secret"})
    ssh = Sshd(d3)   # ssh.known_hosts_line, ssh.user_key, ssh.port
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox  # noqa: E402

HOST = "127.0.0.1"

# The nginx lines that pactd.conf(5) and README.md recommend for the page.
PAGE_LOCATION = """
        index index.html;
        charset utf-8;
        charset_types text/html application/json application/atom+xml;
        # Over SFTP the old file is renamed aside for one request: serve it.
        try_files $uri $uri.pactd-old $uri/ =404;
        location ~ \\.(tmp|pactd-new|pactd-old)$ { return 404; }
"""


def _wait_port(port, proc, log, timeout=10):
    deadline = time.monotonic() + timeout
    while not sandbox._port_open(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            with open(log, errors="replace") as f:
                raise sandbox.SandboxError("server on port %d did not start:\n%s" % (port, f.read()[-2000:]))
        time.sleep(0.05)


class Server:
    """One server process: start() and stop() any number of times."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        os.makedirs(self.root, exist_ok=True)
        self.port = sandbox._free_port()
        self.proc = None
        self.log = os.path.join(self.root, "server.log")

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def command(self):
        raise NotImplementedError

    def start(self):
        if self.proc is not None:
            return
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        _wait_port(self.port, self.proc, self.log)

    def stop(self):
        if self.proc is None:
            return
        sandbox._kill_and_wait(self.proc.pid, self.proc)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Nginx(Server):
    """A private nginx. serve maps a location prefix to a root folder
    (the page's lines above); dav = (prefix, root) receives PUT and MOVE
    there behind basic authentication for users {name: password}."""

    def __init__(self, root, serve=None, dav=None, users=None):
        super().__init__(root)
        self.serve = serve or {}
        self.dav = dav
        self.users = users or {}
        for d in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            os.makedirs(self.path(d), exist_ok=True)
        self._write_conf()

    @property
    def url(self):
        return "http://%s:%d" % (HOST, self.port)

    def _locations(self):
        out = []
        for prefix, root in self.serve.items():
            out.append("    location %s {\n        root %s;\n%s    }\n" % (prefix, root, PAGE_LOCATION))
        if self.dav is not None:
            prefix, root = self.dav
            out.append("    location %s {\n"
                       "        root %s;\n"
                       "        dav_methods PUT DELETE MKCOL COPY MOVE;\n"
                       "        create_full_put_path on;\n"
                       "        dav_access user:rw group:r all:r;\n"
                       "        client_max_body_size 64m;\n"
                       "        auth_basic \"pactd test\";\n"
                       "        auth_basic_user_file %s;\n"
                       "    }\n" % (prefix, root, self.path("htpasswd")))
        return "".join(out)

    def _write_conf(self):
        with open(self.path("htpasswd"), "w") as f:
            for user, pw in self.users.items():
                digest = base64.b64encode(hashlib.sha1(pw.encode()).digest()).decode()
                f.write("%s:{SHA}%s\n" % (user, digest))
        with open(self.path("nginx.conf"), "w") as f:
            f.write("""# pactd test nginx
user root;
worker_processes 1;
daemon off;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
events { worker_connections 64; }
http {
    access_log %(d)s/access.log;
    client_body_temp_path %(d)s/tmp/body;
    proxy_temp_path %(d)s/tmp/proxy;
    fastcgi_temp_path %(d)s/tmp/fastcgi;
    uwsgi_temp_path %(d)s/tmp/uwsgi;
    scgi_temp_path %(d)s/tmp/scgi;
    types {
        text/html html;
        application/json json;
        application/atom+xml atom;
        application/pdf pdf;
    }
    default_type application/octet-stream;
    server {
        listen %(host)s:%(port)d;
%(locations)s    }
}
""" % {"d": self.root, "host": HOST, "port": self.port, "locations": self._locations()})

    def command(self):
        return ["nginx", "-p", self.root, "-c", self.path("nginx.conf"), "-e", self.path("error.log")]


class Sshd(Server):
    """A private sshd for SFTP only (internal-sftp): its own host key, and
    a key for the test's user (root) in its authorized_keys."""

    def __init__(self, root):
        super().__init__(root)
        for name in ("host_key", "user_key"):
            if not os.path.exists(self.path(name)):
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pactd-test",
                                "-f", self.path(name)], check=True)
        shutil.copy(self.path("user_key.pub"), self.path("authorized_keys"))
        os.chmod(self.path("authorized_keys"), 0o600)
        with open(self.path("sshd_config"), "w") as f:
            f.write("# pactd test sshd\n"
                    "ListenAddress %s\n"
                    "HostKey %s\n"
                    "PidFile %s\n"
                    "AuthorizedKeysFile %s\n"
                    "StrictModes no\n"
                    "UsePAM no\n"
                    "PermitRootLogin prohibit-password\n"
                    "PasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\n"
                    "AllowTcpForwarding no\n"
                    "X11Forwarding no\n"
                    "Subsystem sftp internal-sftp\n"
                    "ForceCommand internal-sftp\n"
                    % (HOST, self.path("host_key"), self.path("sshd.pid"), self.path("authorized_keys")))

    @property
    def user_key(self):
        return self.path("user_key")

    def known_hosts_line(self, key=None):
        """The known_hosts line for this server (or for another key)."""
        with open((key or self.path("host_key")) + ".pub") as f:
            kind, blob = f.read().split()[:2]
        return "[%s]:%d %s %s\n" % (HOST, self.port, kind, blob)

    def command(self):
        # sshd insists on its privilege separation folder (Debian's unit
        # makes it with RuntimeDirectory=sshd).
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        return ["/usr/sbin/sshd", "-D", "-e", "-f", self.path("sshd_config"), "-p", str(self.port)]
