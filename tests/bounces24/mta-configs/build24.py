"""Round 24 part m: copy the collector's files byte for byte under their situation names and
write messages/expected.json from the table below (labels by hand, from the situation built and
the bounce's deciding words, read with Python's email package and by eye)."""

import json
import shutil
import sys
from pathlib import Path

SINK = Path("/opt/r24m/sink")
OUT = Path(__file__).resolve().parent.parent / "messages"
SPAM = ("the Exim receiver's DATA ACL asks spamd (SpamAssassin 4.0.1, local tests only) and refuses "
        "with the stanza Debian ships commented in exim4-config's 40_exim4-config_check_data "
        "(score above 15); the message body is SpamAssassin's sample-spam.txt (GTUBE)")
HSND = ("the Exim receiver's DATA ACL carries Debian's header_sender stanza "
        "(CHECK_DATA_VERIFY_HEADER_SENDER); ")
HSYN = "the Exim receiver's DATA ACL carries Debian's default header_syntax stanza; "
RELAY = ("sa-rx2.example.net is not a domain of the Exim receiver; its RCPT ACL ends in a bare "
         "deny (Exim's default reply)")


def r(address: str, kind: str, label: str, words: str, extra: str = "") -> dict[str, str]:
    note = f"{label}; {words}" + (f"; {extra}" if extra else "")
    return {"address": address, "kind": kind, "label": label, "label_by": "hand", "note": note}


def spam(a: str) -> dict[str, str]:
    return r(a, "content_rejected", SPAM, "Diagnostic-Code: \"550 Classified as spam (score 999.0)\"",
             "a spam verdict on the message")


def nosender(a: str, situation: str) -> dict[str, str]:
    return r(a, "content_rejected", HSND + situation,
             "Diagnostic-Code: \"550 No verifiable sender address in message headers\"",
             "a check of the message's headers, not of the envelope sender (MAIL FROM was "
             "accepted): content; sender_blocked is defensible, neither suppresses the "
             "recipient (rule 4)")


def syntax(a: str, situation: str) -> dict[str, str]:
    return r(a, "content_rejected", HSYN + situation, "Diagnostic-Code: \"550 header syntax\"",
             "a header problem of the message")


RX = "sa-rx.example.org"
SM = "sm-rx.example.org"
SIZE = "the Sendmail receiver's confMAX_MESSAGE_SIZE 20000; the message is about 31000 bytes"
SIZEW = ("Diagnostic-Code: \"552 5.2.3 Message size exceeds fixed maximum message size (20000)\" "
         "(refused at MAIL FROM with SIZE=)")
NOFROM = "the message has no From, Date or Message-ID header"
TABLE: dict[str, tuple[str, list[dict[str, str]]]] = {
    "exim-spam-gtube.eml": ("012504-001.eml", [spam(f"bob@{RX}")]),
    "exim-spam-gtube-2.eml": ("012504-002.eml", [spam(f"carl@{RX}")]),
    "exim-spam-gtube-3.eml": ("012504-003.eml", [spam(f"{u}@{RX}") for u in ("bob", "carl", "dora")]),
    "exim-spam-gtube-relay-denied.eml": ("012504-004.eml", [
        spam(f"bob@{RX}"),
        r("erin@sa-rx2.example.net", "undetermined", RELAY,
          "Diagnostic-Code: \"550 Administrative prohibition\"",
          "the bare prohibition names no side (kinds table)")]),
    "exim-no-date-no-msgid-no-from.eml": ("012537-005.eml", [nosender(f"bob@{RX}", NOFROM)]),
    "exim-no-date-no-msgid-no-from-2.eml": ("012537-006.eml",
                                            [nosender(f"{u}@{RX}", NOFROM) for u in ("bob", "carl")]),
    "exim-header-sender-unverifiable.eml": ("012538-007.eml", [nosender(
        f"dora@{RX}", "the From header's domain nowhere.example.invalid does not route at the receiver")]),
    "exim-header-syntax.eml": ("012538-008.eml", [syntax(
        f"bob@{RX}", "the To header holds an unclosed angle bracket")]),
    "exim-header-syntax-2.eml": ("012538-009.eml", [syntax(
        f"{u}@{RX}", "the Cc header holds two addresses without a comma") for u in ("bob", "carl", "dora")]),
    "exim-too-large-smrx.eml": ("012913-010.eml", [r(
        f"carl@{SM}", "message_too_large", SIZE, SIZEW, "the message's size, not the mailbox's storage")]),
    "exim-too-large-smrx-2.eml": ("012913-011.eml", [r(
        f"{u}@{SM}", "message_too_large", SIZE, SIZEW, "the message's size") for u in ("bob", "dora")]),
    "exim-sender-domain-unresolvable-smrx.eml": ("012914-014.eml", [r(
        f"bob@{SM}", "sender_blocked",
        "the Sendmail receiver's built-in check_mail: the envelope sender's domain nodns.example.net "
        "is not in its hosts file and its service switch gives only files",
        "Diagnostic-Code: \"553 5.1.8 <alice@nodns.example.net>... Domain of sender address "
        "alice@nodns.example.net does not exist\"", "the envelope sender's domain refused: rule 2")]),
    "sendmail-too-large-smrx.eml": ("013258-015.eml", [r(
        f"carl@{SM}", "message_too_large", SIZE, SIZEW.replace("Diagnostic-Code: ", "Diagnostic-Code: SMTP; "),
        "the message's size, not the mailbox's storage")]),
    "sendmail-header-sender-unverifiable.eml": ("013258-016.eml", [nosender(
        f"carl@{RX}", "the From header's domain nowhere.example.invalid does not route at the receiver")]),
    "sendmail-spam-gtube.eml": ("013258-017.eml", [spam(f"bob@{RX}")]),
    "sendmail-spam-gtube-2.eml": ("013258-018.eml", [spam(f"{u}@{RX}") for u in ("bob", "carl")]),
    "sendmail-spam-gtube-mixed.eml": ("013258-019.eml", [spam(f"dora@{RX}")]),
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    expected = {}
    for name, (source, recipients) in TABLE.items():
        shutil.copyfile(SINK / source, OUT / name)
        expected[name] = {"type": "dsn", "recipients": recipients}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    with open(OUT.parent / "mta-configs" / "collected-as.txt", "w") as log:
        for name, (source, _) in TABLE.items():
            log.write(f"{source} {name}\n")
    print(len(expected), "messages", sum(len(e["recipients"]) for e in expected.values()), "recipients",
          file=sys.stderr)


main()
