"""A real mox for the tests: `mox localserve` in a fresh directory on its own loopback address.

The binary comes from the environment variable MOX_BIN (CI points it at
../shared/mox/mox). Each instance gets a fresh -dir and a loopback address of its own
(127.0.0.x), so its fixed localserve ports (1080 HTTP, 1025 SMTP, 1143 IMAP) never
collide with anything else on the machine. Only mox's real interfaces are used to talk
to it: the webapi, the admin and account APIs, SMTP.

localserve's account has a junk filter that refuses everything from a host without
reverse DNS, which on a machine without network is every host: the filter is removed
from domains.conf before the first start, as mox's own README for this binary says.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import re
import signal
import smtplib
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

MOX_BIN_ENV = "MOX_BIN"
ACCOUNT = "mox"
LOGIN = "mox@localhost"
PASSWORD = "moxmoxmox"
ADMIN_PASSWORD = "moxadmin"
HTTP_PORT = 1080
SMTP_PORT = 1025
IMAP_PORT = 1143


def mox_bin() -> str | None:
    """The mox binary named by MOX_BIN, or None when the variable is unset or empty.

    A relative path (the README's MOX_BIN=../shared/mox/mox) is taken from the directory
    pytest runs in: mox is started in a directory of its own, where it would not resolve.
    """
    path = os.environ.get(MOX_BIN_ENV, "").strip()
    return os.path.abspath(path) if path else None


def _port_free(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((ip, port))
        except OSError:
            return False
    return True


def free_loopback_ip() -> str:
    """A 127.0.x.y address on which localserve's ports are all free."""
    for _ in range(200):
        ip = f"127.0.{random.randint(1, 254)}.{random.randint(2, 254)}"
        if all(_port_free(ip, p) for p in (HTTP_PORT, SMTP_PORT, IMAP_PORT, 1587, 1465, 1993, 1443, 1081)):
            return ip
    raise RuntimeError("no free loopback address for mox localserve")


def _drop_junk_filter(domains_conf: Path) -> None:
    """Remove the account's JunkFilter block (sconf: indented with tabs)."""
    out: list[str] = []
    skipping = False
    for line in domains_conf.read_text().splitlines():
        if line == "\t\tJunkFilter:":
            skipping = True
            continue
        if skipping:
            if line.startswith("\t\t\t") or line.startswith("\t\t#") or not line.strip():
                continue
            skipping = False
        out.append(line)
    domains_conf.write_text("\n".join(out) + "\n")


class RealMox:
    """One `mox localserve` process; start() and stop() it, talk to it over HTTP and SMTP."""

    def __init__(self, binary: str, directory: Path, ip: str | None = None) -> None:
        self.binary = binary
        self.dir = directory
        self.ip = ip or free_loopback_ip()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = directory / "mox.log"

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{HTTP_PORT}"

    @property
    def smtp_port(self) -> int:
        return SMTP_PORT

    def start(self, timeout: float = 30.0) -> None:
        conf = self.dir / "config"
        if not (conf / "domains.conf").exists():
            subprocess.run(
                [self.binary, "localserve", "-dir", str(conf), "-ip", self.ip, "-initonly"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            _drop_junk_filter(conf / "domains.conf")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [self.binary, "localserve", "-dir", str(conf)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.dir,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mox localserve exited at start:\n{self.log_tail()}")
            try:
                self.webapi("SuppressionList", {})
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"mox localserve did not answer:\n{self.log_tail()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    # --- Direct access for the tests' own checks (never through moxhooks' client) ---

    def webapi_raw(
        self, method: str, body: bytes, *, content_type: str = "application/x-www-form-urlencoded",
        auth: tuple[str, str] | None = (LOGIN, PASSWORD),
    ) -> tuple[int, dict[str, str], bytes]:
        """POST body to webapi method; (status, headers, body), whatever the status."""
        req = urllib.request.Request(f"{self.url}/webapi/v0/{method}", data=body, method="POST")
        req.add_header("Content-Type", content_type)
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def webapi(self, method: str, request: dict[str, Any]) -> dict[str, Any]:
        """Call a webapi method as the localserve account; raises on anything but 200."""
        body = urllib.parse.urlencode({"request": json.dumps(request)}).encode()
        status, _, data = self.webapi_raw(method, body)
        if status != 200:
            raise AssertionError(f"webapi {method}: {status} {data!r}")
        result: dict[str, Any] = json.loads(data)
        return result

    def send(self, to: str, subject: str = "test", extra: dict[str, str] | None = None) -> int:
        """Send one message through the webapi; returns its QueueMsgID."""
        return int(self.submit(to, subject, extra)["QueueMsgID"])

    def submit(
        self, to: str, subject: str = "test", extra: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Send one message through the webapi; returns its submission (QueueMsgID, FromID)."""
        req: dict[str, Any] = {"To": [{"Address": to}], "Subject": subject, "Text": "hello\n"}
        if extra:
            req["Extra"] = extra
        result = self.webapi("Send", req)
        submission: dict[str, Any] = result["Submissions"][0]
        return submission

    def deliver_dsn(
        self, from_id: str, recipient: str, status: str, diagnostic: str, action: str = "failed"
    ) -> None:
        """Deliver a DSN (RFC 3464) to mox by SMTP, as a remote MTA bouncing later would.

        mox matches it to the sent message by the FromID in the envelope address it sent
        from (mox+<FromID>@localhost, with FromIDLoginAddresses on for the login).
        """
        rcpt = f"mox+{from_id}@localhost"
        report = (
            "Reporting-MTA: dns; mx.example.org\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\n"
            f"Action: {action}\r\n"
            f"Status: {status}\r\n"
            "Remote-MTA: dns; mx2.example.org\r\n"
            f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        )
        msg = (
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
            f"To: <{rcpt}>\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n"
            f"Message-ID: <dsn-{from_id}@mx.example.org>\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
            "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
            f"Delivery to {recipient} failed.\r\n"
            "\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"{report}"
            "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"From: mox@localhost\r\nTo: {recipient}\r\n"
            "\r\n--B--\r\n"
        )
        self.deliver(rcpt, msg.encode())

    def deliver(self, rcpt: str, message: bytes, mail_from: str = "") -> None:
        """Deliver a message to mox by SMTP, as a remote mail server does (port 1025)."""
        with smtplib.SMTP(self.ip, SMTP_PORT, local_hostname="mx.example.org", timeout=10) as s:
            s.sendmail(mail_from, [rcpt], message)

    def suppression_bases(self) -> dict[str, str]:
        """mox's suppression list: base address -> original address."""
        return {
            s["BaseAddress"]: s["OriginalAddress"]
            for s in self.webapi("SuppressionList", {})["Suppressions"]
        }


class Sherpa:
    """A minimal sherpa client for the tests' own checks on the admin and account APIs."""

    def __init__(self, mox: RealMox, path: str, login_params: list[Any]) -> None:
        self.base = f"{mox.url}{path}"
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        token = self._call("LoginPrep", [])
        self.csrf = str(self._call("Login", [token, *login_params]))

    def _call(self, method: str, params: list[Any]) -> Any:
        req = urllib.request.Request(
            self.base + method, data=json.dumps({"params": params}).encode(), method="POST"
        )
        req.add_header("Content-Type", "application/json")
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if self.csrf:
            req.add_header("x-mox-csrf", self.csrf)
        with urllib.request.urlopen(req, timeout=10) as resp:
            for c in resp.headers.get_all("Set-Cookie") or []:
                m = re.match(r"([^=]+)=([^;]*)", c)
                if m:
                    self.cookies[m[1]] = m[2]
            answer = json.loads(resp.read())
        if "error" in answer and answer["error"]:
            raise AssertionError(f"sherpa {method}: {answer['error']}")
        return answer.get("result")

    def call(self, method: str, *params: Any) -> Any:
        return self._call(method, list(params))


def admin(mox: RealMox) -> Sherpa:
    return Sherpa(mox, "/admin/api/", [ADMIN_PASSWORD])


def account(mox: RealMox) -> Sherpa:
    return Sherpa(mox, "/account/api/", [LOGIN, PASSWORD])


@contextlib.contextmanager
def running(binary: str, directory: Path) -> Any:
    """A started RealMox, stopped when the block ends."""
    m = RealMox(binary, directory)
    m.start()
    try:
        yield m
    finally:
        m.stop()
