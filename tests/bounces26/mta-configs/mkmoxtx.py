"""Round 26: writes mox-tx/domains.conf and mox-tx/mox.conf (the sending mox) and /opt/r26w/known.txt
(the names the DNS stub answers with 127.0.0.1). One Transport per receiver port, routed by domain."""
T = {  # transport: (host, port, [recipient domains routed there])
    "moxrx": ("mx.mox-rx.example.org", 2925, ["mox-rx.example.org", "relay-mox.example.net", "disabled-rx.example.org"]),
    "pf0": ("mx.pf-rx.example.org", 2960, ["pf-rx.example.org", "relay-pf.example.net", "nx-pf.example.net"]),
    "pf1": ("mx.pf-rx.example.org", 2961, ["gl-rx.example.org"]),
    "pf2": ("mx.pf-rx.example.org", 2962, ["ps-rx.example.org"]),
    "pf3": ("mx.pf-rx.example.org", 2963, ["rl-rx.example.org"]),
    "pf4": ("mx.pf-rx.example.org", 2964, ["hc-rx.example.org"]),
    "pf5": ("mx.pf-rx.example.org", 2965, ["cl-rx.example.org"]),
    "pf6": ("mx.pf-rx.example.org", 2966, ["rb-rx.example.org"]),
    "pf7": ("mx.pf-rx.example.org", 2967, ["sd-rx.example.org"]),
    "pf8": ("mx.pf-rx.example.org", 2968, ["sb-rx.example.org", "relay-sb.example.net", "nx-sb.example.net"]),
    "pf9": ("mx.pf-rx.example.org", 2969, ["sz-rx.example.org"]),
    "pf10": ("mx.pf-rx.example.org", 2970, ["cr-rx.example.org"]),
    "pf11": ("mx.pf-rx.example.org", 2972, ["he-rx.example.org"]),
    "pf12": ("mx.pf-rx.example.org", 2973, ["qf-rx.example.org"]),
    "pf13": ("mx.pf-rx.example.org", 2974, ["tl-rx.example.org"]),
    "pf14": ("mx.pf-rx.example.org", 2975, ["rr-rx.example.org"]),
    "chrx": ("mx.ch-rx.example.org", 2935, ["ch-rx.example.org", "relay-ch.example.net"]),
    "qprx": ("mx.qp-rx.example.org", 2955, ["qp-rx.example.org", "relay-qp.example.net"]),
    "qp2": ("mx.qp2-rx.example.org", 2956, ["qp2-rx.example.org"]),
    "qp3": ("mx.qp3-rx.example.org", 2957, ["qp3-rx.example.org"]),
    "qp4": ("mx.qp4-rx.example.org", 2958, ["qp4-rx.example.org"]),
    "qp5": ("mx.qp5-rx.example.org", 2959, ["qp5-rx.example.org"]),
    "qp6": ("mx.qp6-rx.example.org", 2976, ["qp6-rx.example.org"]),
    "exrx": ("mx.ex-rx.example.org", 2950, ["ex-rx.example.org", "relay-ex.example.net", "exd-rx.example.org"]),
    "hrrx": ("mx.hr-rx.example.org", 2945, ["hr-rx.example.org", "relay-hr.example.net"]),
    "hr2": ("mx.hr2-rx.example.org", 2946, ["hr2-rx.example.org"]),
    "unresolved": ("mx.unresolved.example.net", 2998, ["unresolved-tx.example.net"]),
    "pf15": ("mx.pf-rx.example.org", 2977, ["mt-rx.example.org"]),
    "pf16": ("mx.pf-rx.example.org", 2978, ["mr-rx.example.org"]),
    "pf17": ("mx.pf-rx.example.org", 2979, ["pp-rx.example.org"]),
    "pf18": ("mx.pf-rx.example.org", 2980, ["lt-rx.example.org"]),
    "pf19": ("mx.pf-rx.example.org", 2981, ["hs-rx.example.org"]),
    "qp7": ("mx.qp7-rx.example.org", 2982, ["qp7-rx.example.org"]),
    "qp8": ("mx.qp8-rx.example.org", 2983, ["qp8-rx.example.org"]),
    "hr3": ("mx.hr3-rx.example.org", 2947, ["hr3-rx.example.org"]),
    "ex2": ("mx.exq-rx.example.org", 2951, ["exq-rx.example.org"]),
    "pf20": ("mx.pf-rx.example.org", 2984, ["hu-rx.example.org"]),
    "osrx": ("mx.os-rx.example.org", 2986, ["os-rx.example.org", "relay-os.example.net", "blocked-os.example.org"]),
    "sm1": ("mx.sm1-rx.example.org", 2987, ["sm1-rx.example.org", "relay-sm.example.net"]),
    "sm2": ("mx.sm2-rx.example.org", 2988, ["sm2-rx.example.org"]),
    "sm3": ("mx.sm3-rx.example.org", 2989, ["sm3-rx.example.org"]),
    "sm4": ("mx.sm4-rx.example.org", 2990, ["sm4-rx.example.org"]),
    "down": ("down.example.net", 2999, ["down.example.net"]),
}
known = {"localhost", "nomx.example.net", "unresolved-tx.example.net", "mox-tx.example.com", "mx.mox-tx.example.com", "dm-tx.example.com", "_dmarc.dm-tx.example.com"}
for name, (h, port, doms) in T.items():
    known.add(h) if name not in ("unresolved", "unreach") else None
    known.update(d for d in doms if not d.startswith("nx-"))
open("/opt/r26w/known.txt", "w").write("\n".join(sorted(known)) + "\n")
d = ["# Round 26: mox v0.0.17 as the SENDER; alice's outgoing webhook goes to the capture server.",
     "Domains:", "\tmox-tx.example.com: nil", "\tghost-tx.example.net: nil", "\tdm-tx.example.com: nil", "\tsf-tx.example.net: nil",
     "Accounts:", "\talice:", "\t\tDomain: mox-tx.example.com", "\t\tDestinations:",
     "\t\t\talice@mox-tx.example.com: nil", "\t\t\talice@ghost-tx.example.net: nil", "\t\t\talice@dm-tx.example.com: nil", "\t\t\talice@sf-tx.example.net: nil",
     "\t\tOutgoingWebhook:", "\t\t\tURL: http://127.0.0.1:2991/hook", "\t\t\tAuthorization: Basic cjI2dzpjYXB0dXJl",
     "Routes:"]
for name, (h, port, doms) in T.items():
    d += ["\t-", "\t\tToDomain:"] + [f"\t\t\t- {x}" for x in doms] + [f"\t\tTransport: {name}"]
open("mox-tx/domains.conf", "w").write("\n".join(d) + "\n")
m = """# Round 26: mox v0.0.17 as the SENDER, `mox -config mox.conf serve` inside the namespace r26w;
# submission on 127.0.0.1:2926, SMTP 2927, webapi on 2928 (/webapi/). Transports: one per receiver port.
DataDir: /opt/r26w/mox-tx-data
LogLevel: debug
User: 65534
Hostname: mx.mox-tx.example.com
Listeners:
	local:
		IPs:
			- 127.0.0.1
		SMTP:
			Enabled: true
			Port: 2927
			NoSTARTTLS: true
		Submission:
			Enabled: true
			Port: 2926
			NoRequireSTARTTLS: true
		WebAPIHTTP:
			Enabled: true
			Port: 2928
Postmaster:
	Account: alice
	Mailbox: Inbox
Transports:
"""
for name, (h, port, doms) in T.items():
    m += f"\t{name}:\n\t\tSMTP:\n\t\t\tHost: {h}\n\t\t\tPort: {port}\n\t\t\tNoSTARTTLS: true\n"
open("mox-tx/mox.conf", "w").write(m)
