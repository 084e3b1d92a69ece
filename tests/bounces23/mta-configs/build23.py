"""Round 23 part m: copy the collected bounces byte for byte to messages/<writer>-<situation>.eml
and write expected.json. The writer comes from the bounce's From (the host that wrote it), the
situation from the returned Message-ID; `type` and each recipient's address are mechanical
(round 7's rules); kinds, labels and notes come from the hand-written LABELS table below, keyed
by (writer, recipient address, Action), with the bounce's own deciding words added from its DSN
block or text. Usage: build23.py <collector dir>[,<collector dir>...] <messages dir>."""

import email
import json
import re
import sys
from email import policy
from email.message import Message
from pathlib import Path

WRITERS = {"lx.example.org": "postfix", "mx.os-rx.example.org": "opensmtpd",
           "ex-rx.example.org": "exim"}

# Files of the collector that are not bounces of a failure (left out, see SOURCES-messages.md).
LEFT_OUT = {"010734-013.eml": "Postfix's success report (NOTIFY=SUCCESS) for multi-notify-all"}

# Kept under ~25 messages per bounce writer: these Postfix files repeat, for the same recipient
# and with the same words, a situation that a kept multi-recipient file already holds.
LEFT_OUT_NAMES = {
    "postfix-pipe-not-found-warning.eml": "pipenotfound's notice, as in multi-pipe-command-warning",
    "postfix-mailbox-command-missing-warning.eml": "gina's notice, as in multi-deferred-failed-warning",
    "postfix-mailbox-command-exit75-warning.eml": "hank's notice, as in multi-command-deferred-warning",
    "postfix-mailbox-command-exit75-expired.eml": "hank's final report, as in "
    "multi-command-deferred-expired",
}

PF_LOCAL = "the Postfix receiver's local(8)"
# (writer, address, action) -> (kind, label, reading)
LABELS: dict[tuple[str, str, str], tuple[str, str, str]] = {
    ("postfix", "ghost@lx.example.org", "failed"): (
        "mailbox_unknown", f"{PF_LOCAL}: ghost@ is an alias (alias_maps) to nosuchuser23, no user "
        "of the system", "the recipient named unknown, 5.1.1"),
    ("postfix", "piperr67@lx.example.org", "failed"): (
        "mailbox_unknown", f"{PF_LOCAL}: piperr67@ is an alias to the command \"|exit 67\" "
        "(EX_NOUSER), which Postfix reports by its sysexits table",
        "the recipient named unknown, 5.1.1"),
    ("postfix", "pipenoperm77@lx.example.org", "failed"): (
        "undetermined", f"{PF_LOCAL}: pipenoperm77@ is an alias to the command \"|exit 77\" "
        "(EX_NOPERM)", "a bare permission refusal naming no side (5.7.0): rule 4"),
    ("postfix", "fileerr@lx.example.org", "failed"): (
        "transient", f"{PF_LOCAL}: fileerr@ is an alias to a file in a directory that does not "
        "exist", "the receiver's own trouble it names (a file it cannot create) in a permanent "
        "reply: F14"),
    ("postfix", "carol@lx.example.org", "failed"): (
        "undetermined", f"{PF_LOCAL}: carol's .forward sends to dave, dave's to carol",
        "a mail forwarding loop, 5.4.6: F5"),
    ("postfix", "dave@lx.example.org", "failed"): (
        "undetermined", f"{PF_LOCAL}: dave's .forward sends to carol, carol's to dave",
        "a mail forwarding loop, 5.4.6: F5"),
    ("postfix", "frank@lx.example.org", "failed"): (
        "undetermined", f"{PF_LOCAL}: frank's mailbox_command (mailbox_command_maps) is "
        "/bin/false, exit status 1", "an error the receiver does not name, 5.3.0: F14"),
    ("postfix", "pipetemp75@lx.example.org", "delayed"): (
        "transient", f"{PF_LOCAL}: pipetemp75@ is an alias to the command \"|exit 75\" "
        "(EX_TEMPFAIL); delay_warning_time 1m", "a delay notice, a temporary failure: F3"),
    ("postfix", "pipetemp75@lx.example.org", "failed"): (
        "expired", f"{PF_LOCAL}: pipetemp75@ is an alias to the command \"|exit 75\" "
        "(EX_TEMPFAIL) until maximal_queue_lifetime 3m",
        "the receiver gave up on a temporary failure (Action failed, 4.3.0): F4"),
    ("postfix", "hank@lx.example.org", "delayed"): (
        "transient", f"{PF_LOCAL}: hank's mailbox_command is /bin/sh -c \"exit 75\" "
        "(EX_TEMPFAIL); delay_warning_time 1m", "a delay notice, a temporary failure: F3"),
    ("postfix", "hank@lx.example.org", "failed"): (
        "expired", f"{PF_LOCAL}: hank's mailbox_command is /bin/sh -c \"exit 75\" until "
        "maximal_queue_lifetime 3m",
        "the receiver gave up on a temporary failure (Action failed, 4.3.0): F4"),
    ("postfix", "pipenotfound@lx.example.org", "delayed"): (
        "transient", f"{PF_LOCAL}: pipenotfound@ is an alias to a command that does not exist; "
        "delay_warning_time 1m", "a delay notice, the receiver's own trouble: F3"),
    ("postfix", "pipenotfound@lx.example.org", "failed"): (
        "expired", f"{PF_LOCAL}: pipenotfound@ is an alias to a command that does not exist, "
        "until maximal_queue_lifetime 3m",
        "the receiver gave up on a temporary failure (Action failed, 4.3.0): F4"),
    ("postfix", "gina@lx.example.org", "delayed"): (
        "transient", f"{PF_LOCAL}: gina's mailbox_command does not exist; delay_warning_time 1m",
        "a delay notice, the receiver's own trouble: F3"),
    ("postfix", "gina@lx.example.org", "failed"): (
        "expired", f"{PF_LOCAL}: gina's mailbox_command does not exist, until "
        "maximal_queue_lifetime 3m",
        "the receiver gave up on a temporary failure (Action failed, 4.3.0): F4"),
    ("postfix", "bob@blocked.example.org", "failed"): (
        "undetermined", "the OpenSMTPD receiver's rule `match from any for domain "
        "\"blocked.example.org\" reject` (its default refusal text), written up by the Postfix "
        "receiver that relayed the message", "the recipient called invalid by the receiver's own "
        "reject rule, no specific enhanced code (5.0.0 is Postfix's translation): a receiver's "
        "choice of recipients, not proof that the mailbox is gone (F13, rule 4)"),
    ("postfix", "carol@os-rx.example.org", "failed"): (
        "undetermined", "the OpenSMTPD receiver: carol exists and her .forward sends to "
        "dave@lx.example.org, a domain no rule of it matches; written up by the Postfix receiver",
        "the recipient called invalid, no specific enhanced code, while the user exists and only "
        "the forward target has no rule (rule 4)"),
    ("postfix", "dave@os-rx.example.org", "failed"): (
        "undetermined", "the OpenSMTPD receiver: dave exists and his .forward sends to "
        "carol@lx.example.org, a domain no rule of it matches; written up by the Postfix receiver",
        "the recipient called invalid, no specific enhanced code, while the user exists and only "
        "the forward target has no rule (rule 4)"),
    ("opensmtpd", "frank@mdafail.example.org", "failed"): (
        "undetermined", "the OpenSMTPD receiver's action `mda \"/bin/false\"` for "
        "mdafail.example.org", "an MDA that exited abnormally, an error the receiver does not "
        "name (5.3.0): F14"),
    ("opensmtpd", "gina@mdamissing.example.org", "failed"): (
        "transient", "the OpenSMTPD receiver's action `mda` for mdamissing.example.org names a "
        "command that does not exist", "the receiver's own trouble it names (its MDA command "
        "not found) in a permanent report: F14"),
    ("opensmtpd", "hank@mdatemp.example.org", "delayed"): (
        "transient", "the OpenSMTPD receiver's action `mda \"/bin/sh -c 'exit 75'\"` for "
        "mdatemp.example.org; bounce warn-interval 1m, queue ttl 3m",
        "a delay notice (Action delayed), nothing else named: F3"),
    ("exim", "nosuch@dv-rx.example.org", "failed"): (
        "mailbox_unknown", "Dovecot LMTP behind the Exim receiver (smtp transport, protocol "
        "lmtp): nosuch is not in Dovecot's passwd-file userdb", "the recipient named as not "
        "existing, 5.1.1"),
    ("exim", "badloc@dv-rx.example.org", "delayed"): (
        "transient", "Dovecot LMTP behind the Exim receiver: badloc's userdb mail location is a "
        "directory under /proc that cannot be made; delay_warning 1m",
        "a delay notice, the receiver's own trouble: F3"),
    ("exim", "badloc@dv-rx.example.org", "failed"): (
        "expired", "Dovecot LMTP behind the Exim receiver: badloc's userdb mail location cannot "
        "be made, until Exim's retry rule F,3m,20s ran out",
        "the receiver gave up after retrying: F4"),
    ("exim", "fuller@ex-rx.example.org", "delayed"): (
        "mailbox_full", "the Exim receiver's appendfile transport with quota 2K; fuller's mailbox "
        "file already holds 3000 bytes; delay_warning 1m", "a delay notice that names a full "
        "mailbox: F3 (the cause it gives)"),
    ("exim", "fuller@ex-rx.example.org", "failed"): (
        "mailbox_full", "the Exim receiver's appendfile quota 2K, fuller's mailbox over it, until "
        "the retry rule F,3m,20s ran out", "the mailbox named full: F4 keeps the named cause"),
    ("exim", "uwen@ex-rx.example.org", "delayed"): (
        "transient", "the Exim receiver's appendfile transport (user mail); uwen's mailbox file "
        "owned by root, mode 0600; delay_warning 1m", "a delay notice, no reason given: F3"),
    ("exim", "uwen@ex-rx.example.org", "failed"): (
        "expired", "the Exim receiver's appendfile transport; uwen's mailbox file owned by root, "
        "mode 0600, until the retry rule F,3m,20s ran out",
        "the receiver gave up after retrying: F4"),
    ("exim", "mustex@ex-rx.example.org", "delayed"): (
        "transient", "the Exim receiver's appendfile transport with file_must_exist = true; "
        "mustex's mailbox file does not exist; delay_warning 1m",
        "a delay notice, no reason given: F3"),
    ("exim", "mustex@ex-rx.example.org", "failed"): (
        "expired", "the Exim receiver's appendfile transport with file_must_exist = true; no "
        "mailbox file, until the retry rule F,3m,20s ran out",
        "the receiver gave up after retrying: F4"),
}


def blocks(msg: Message) -> list[Message]:
    """The per-recipient blocks of the message/delivery-status part."""
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            return [b for b in part.get_payload()[1:] if b.get("Final-Recipient")]
    return []


def addr(value: str | None) -> str:
    return (value or "").split(";", 1)[-1].strip()


def text_words(msg: Message, address: str) -> str:
    """The report text's words for an address: the rest of its line (OpenSMTPD) or the
    indented line under it (Exim); "" when the text gives none."""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            lines = part.get_payload(decode=True).decode("utf-8", "replace").splitlines()
            for i, line in enumerate(lines):
                if line.strip().startswith(address):
                    rest = line.strip()[len(address):].lstrip(": ").strip()
                    if rest:
                        return rest
                    following = lines[i + 1].strip() if i + 1 < len(lines) else ""
                    if lines[i + 1:i + 2] and lines[i + 1].startswith("    ") and following:
                        return following
                    return ""
            return ""
    return ""


def main() -> None:
    srcs, dst = [Path(p) for p in sys.argv[1].split(",")], Path(sys.argv[2])
    expected: dict[str, object] = {}
    seen_warnings: set[str] = set()
    for path in sorted(p for src in srcs for p in src.glob("*.eml")):
        if path.name in LEFT_OUT:
            continue
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.compat32)
        writer = WRITERS[re.sub(r".*@", "", str(msg["From"])).strip("> ")]
        mid = re.search(rb"<r23m\.(\w+)\.([\w-]+)@([\w.-]+)>", raw)
        assert mid, path
        situation = mid.group(2).decode()
        sender = mid.group(1).decode()
        rcpts = []
        actions = set()
        statuses = set()
        for block in blocks(msg):
            action = str(block.get("Action")).strip().lower()
            if action not in ("failed", "delayed"):
                continue
            actions.add(action)
            address = addr(block.get("Original-Recipient")) or addr(block.get("Final-Recipient"))
            kind, label, reading = LABELS[(writer, address, action)]
            status = str(block.get("Status")).strip()
            statuses.add(status[:1])
            diag = " ".join(str(block.get("Diagnostic-Code") or "").split())
            said = text_words(msg, addr(block.get("Final-Recipient")))
            words = (f"Diagnostic-Code \"{diag}\"" if diag else
                     f"the report's text: \"{said}\"" if said else
                     "no Diagnostic-Code and no reason in the report's text")
            notice = "delay notice" if action == "delayed" else "failure"
            rcpts.append({"address": address, "kind": kind, "label": label, "label_by": "hand",
                          "note": f"{label}; {notice}: Status {status}, {words}; {reading}"})
        name = f"{writer}-{situation}"
        if sender != writer and not situation.endswith(f"from-{sender}"):
            name += f"-from-{sender}"
        if actions == {"delayed"}:
            status4 = "4.4.7" in raw.decode("utf-8", "replace")
            name += "-expiry-notice" if status4 else "-warning"
            if writer == "exim":
                # Exim warns every minute; only the first warning of each message is kept.
                if name in seen_warnings:
                    continue
                seen_warnings.add(name)
        elif actions == {"failed"} and statuses == {"4"}:
            # the final report after the queue lifetime, beside an earlier immediate bounce
            name += "-expired"
        n = 2
        base = name
        while f"{name}.eml" in expected:
            name, n = f"{base}-{n}", n + 1
        if f"{name}.eml" in LEFT_OUT_NAMES:
            continue
        ctype = "dsn" if re.search(rb"(?im)^content-type:\s*message/(global-)?delivery-status",
                                   raw) else "bounce"
        (dst / f"{name}.eml").write_bytes(raw)
        expected[f"{name}.eml"] = {"type": ctype, "recipients": rcpts, "collected_as": path.name}
    out = {k: {kk: vv for kk, vv in v.items() if kk != "collected_as"}  # type: ignore[attr-defined]
           for k, v in sorted(expected.items())}
    (dst / "expected.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    with open(dst.parent / "mta-configs" / "collected-as.txt", "w") as f:
        for k, v in sorted(expected.items()):
            f.write(f"{k} {v['collected_as']}\n")  # type: ignore[index]


main()
