"""Report messages as mailbox providers send them, for the bounce-mailbox tests."""

from __future__ import annotations


def arf(original_to: str, message_id: str) -> bytes:
    """A Yahoo-style feedback report (RFC 5965) about a message mox sent."""
    return (
        "From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>\r\n"
        "To: fbl@localhost\r\n"
        "Subject: FW: hello\r\n"
        "Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n"
        "Message-ID: <arf-1@arf.mail.yahoo.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="A"\r\n'
        "\r\n--A\r\nContent-Type: text/plain\r\n\r\n"
        "This is an email abuse report for an email message received from IP 127.0.0.1.\r\n"
        "\r\n--A\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\n"
        "User-Agent: Yahoo!-Mail-Feedback/2.0\r\n"
        "Version: 1\r\n"
        "Original-Mail-From: <mox@localhost>\r\n"
        f"Original-Rcpt-To: <{original_to}>\r\n"
        "Source-IP: 127.0.0.1\r\n"
        "\r\n--A\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: mox@localhost\r\n"
        f"To: {original_to}\r\n"
        "Subject: hello\r\n"
        f"Message-ID: {message_id}\r\n"
        "\r\nhello\r\n"
        "\r\n--A--\r\n"
    ).encode()


def qmail_bounce(original_to: str, message_id: str) -> bytes:
    """qmail's plain-text bounce: no DSN, the failed address in its own words."""
    return (
        "From: MAILER-DAEMON@mx.example.org\r\n"
        "To: bounces@localhost\r\n"
        "Subject: failure notice\r\n"
        "Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n"
        "Message-ID: <qmail-1@mx.example.org>\r\n"
        "\r\n"
        "Hi. This is the qmail-send program at mx.example.org.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n"
        "\r\n"
        f"<{original_to}>:\r\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\r\n"
        "\r\n"
        "--- Below this line is a copy of the message.\r\n"
        "\r\n"
        "From: mox@localhost\r\n"
        f"To: {original_to}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Subject: hello\r\n"
        "\r\nhello\r\n"
    ).encode()
