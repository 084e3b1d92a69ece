"""How fast parse_report is: the whole corpus N times, and one DSN with a 20 MB attachment.

    python bench/parse_bench.py [N]

Prints messages parsed per second; asserts nothing.
"""

from __future__ import annotations

import base64
import os
import sys
import time
from pathlib import Path

from moxhooks.mail.reports import parse_report

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def big_dsn(size: int) -> bytes:
    """A DSN whose returned message carries a base64 attachment of about size bytes."""
    blob = base64.encodebytes(os.urandom(size * 3 // 4))
    return (
        b"From: MAILER-DAEMON@mx.example.org\nTo: news@example.net\n"
        b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nDelivery to x@example.com failed.\n\n"
        b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
        b"Final-Recipient: rfc822; x@example.com\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: smtp; 550 5.1.1 no such user\n\n"
        b"--B\nContent-Type: message/rfc822\n\nFrom: news@example.net\nTo: x@example.com\n"
        b"Message-ID: <big@example.net>\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=C\n\n--C\nContent-Type: text/plain\n\nHi\n"
        b"--C\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
        + blob + b"\n--C--\n\n--B--\n"
    )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    messages = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    size = sum(map(len, messages))
    start = time.perf_counter()
    for _ in range(rounds):
        for raw in messages:
            parse_report(raw)
    elapsed = time.perf_counter() - start
    count = rounds * len(messages)
    print(f"corpus: {len(messages)} messages ({size / 1024:.0f} KiB) x {rounds}: "
          f"{count / elapsed:.0f} messages/s, {1000 * elapsed / count:.2f} ms each")

    raw = big_dsn(20 * 1024 * 1024)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        report = parse_report(raw)
        times.append(time.perf_counter() - start)
    print(f"20 MB DSN ({len(raw) / 1e6:.1f} MB): {1000 * min(times):.0f} ms best of 5,"
          f" {1 / min(times):.1f} messages/s; {report.type}, {len(report.recipients)} recipient,"
          f" problems {list(report.problems)}")


if __name__ == "__main__":
    main()
