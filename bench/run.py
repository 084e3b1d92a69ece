"""moxhooks benchmarks: ingest, the list at scale, sync, the real-mox drain. Prints a table.

    python bench/run.py            # the full run (about 15 minutes on 2 cores)
    python bench/run.py --quick    # smaller: 100,000 entries, shorter ingest runs
    python bench/run.py --json     # the figures as JSON as well
    python bench/run.py --only ingest --only sync
    python bench/run.py --only drain   # the real mox (MOX_BIN, default ../shared/mox/mox)

Everything runs on 127.0.0.1, in separate processes: the server (moxhooks through
create_app, or the bare aiohttp ceiling), the load generator (wrk if installed, else
an aiohttp client), and the fake mox. Data lives in a temporary directory that is
removed at the end (--keep keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # moxhooks, installed or not

import aiohttp
import drain as drain_bench
import loadgen
from data import write_import_csv
from sync_bench import FakeMoxProcess

from moxhooks.store.intake import all_records

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

AUTH = "Bearer bench-secret"


def machine() -> dict[str, str]:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "aiohttp": aiohttp.__version__,
        "kernel": platform.release(),
    }


# ---- ingest ------------------------------------------------------------------------------


class Server:
    """bench/server_proc.py as a child process."""

    def __init__(self, mode: str, workdir: Path, mox_url: str, *extra: str) -> None:
        self.db = workdir / f"ingest-{mode}-{time.monotonic_ns()}.db"
        cmd = [sys.executable, str(HERE / "server_proc.py"), mode]
        if mode == "moxhooks":
            cmd += ["--db", str(self.db), "--mox-url", mox_url, *extra]
        log = workdir / f"server-{mode}.log"
        cmd += ["--log", str(log)]
        # moxhooks' worker process logs to standard error (as under `moxhooks serve`).
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"{mode} server did not start within 60 s: {line!r}; see {log}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/hooks/outgoing/mox"

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def verify_stored(db: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Every 200 is a stored webhook: count (wrk) or each ID (aiohttp client)."""
    lo, hi = result["id_min"], result["id_max"]
    # Acknowledged: in the intake segments, or moved from them into events already (read
    # in that order: a segment is deleted only after its records are in events).
    have = {r.webhook_id for r in all_records(str(db)) if lo <= r.webhook_id <= hi}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        have |= {
            int(r[0])
            for r in conn.execute(
                "SELECT webhook_id FROM events WHERE webhook_id BETWEEN ? AND ?", (lo, hi)
            )
        }
        (done,) = conn.execute("SELECT COUNT(*) FROM events WHERE status = 'done'").fetchone()
        (total,) = conn.execute("SELECT COUNT(*) FROM events").fetchone()
    finally:
        conn.close()
    in_range = len(have)
    missing = None
    if result.get("ok_ids") is not None:
        missing = len(set(result["ok_ids"]) - have)
    ok = in_range >= result["ok"] and (missing is None or missing == 0)
    return {
        "stored": in_range,
        "missing": missing,
        "verified": ok,
        "processed_by_stop": done,
        "total_rows": total,
    }


def ingest(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """Each server and connection count: warm up, then measure; full runs measure three
    times (interleaved, each on a fresh server and database) and keep the median."""
    run = loadgen.run_wrk if args.loadgen == "wrk" else loadgen.run_aiohttp
    duration = 3.0 if args.quick else 5.0
    reps = 1 if args.quick else 5
    fake = FakeMoxProcess(0)
    variants: list[tuple[str, str, tuple[str, ...]]] = [
        ("ceiling", "bare", ()),
        ("moxhooks", "moxhooks", ()),
        ("moxhooks, intake only", "moxhooks", ("--no-workers",)),
    ]
    id_base = 1

    def measure(name: str, mode: str, extra: tuple[str, ...], conns: int,
                rate: float = 0.0) -> dict[str, Any]:  # fmt: skip
        nonlocal id_base
        server = Server(mode, workdir, fake.url, *extra)
        try:
            gen: Any = run
            kw: dict[str, Any] = {}
            if rate:
                gen, kw = loadgen.run_aiohttp, {"rate": rate}
            # Warm up (connections, code paths, SQLite pages), then measure.
            gen(server.url, connections=conns, duration=1.0, id_base=id_base, auth=AUTH,
                workdir=workdir, **kw)  # fmt: skip
            id_base += 10**9
            r = gen(server.url, connections=conns, duration=duration, id_base=id_base,
                    auth=AUTH, workdir=workdir, **kw)  # fmt: skip
            id_base += 10**9
            rss = server.peak_rss_mb()
        finally:
            server.stop()
        row = {"name": name, "connections": conns, "paced": rate, **r, "server_peak_rss_mb": rss}
        if mode == "moxhooks":
            row.update(verify_stored(server.db, r))
        row.pop("ok_ids", None)
        print(
            f"  ingest {name:24} c={conns:<3}{f' paced {rate:.0f}/s' if rate else ''}"
            f" {row['rps']:8.0f}/s  p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:6.2f} ms"
            f"  non-200 {row['non_200'] + row['errors']}",
            file=sys.stderr,
        )
        return row

    results: list[dict[str, Any]] = []
    try:
        for conns in (1, 64):
            runs: dict[str, list[dict[str, Any]]] = {v[0]: [] for v in variants}
            for _ in range(reps):
                for name, mode, extra in variants:
                    runs[name].append(measure(name, mode, extra, conns))
            for name, _, _ in variants:
                ordered = sorted(runs[name], key=lambda r: r["rps"])
                median = dict(ordered[len(ordered) // 2])
                median["runs_rps"] = [round(r["rps"]) for r in runs[name]]
                median["verified"] = all(r.get("verified", True) for r in runs[name])
                results.append(median)
        # Latency at 64 connections below saturation (the aiohttp client, paced): 300/s,
        # and half of moxhooks' best rate at 64 connections.
        best = max(r["rps"] for r in results if r["name"] == "moxhooks" and r["connections"] == 64)
        for rate in (300.0, round(best / 2, -1)):
            for name, mode, extra in variants:
                results.append(measure(name, mode, extra, 64, rate=rate))
    finally:
        fake.close()
    ceiling = {(r["connections"], r["paced"]): r["rps"] for r in results if r["name"] == "ceiling"}
    for r in results:
        c = ceiling.get((r["connections"], r["paced"]))
        r["ratio"] = r["rps"] / c if c else 0.0
    return results


# ---- scale and sync: child processes printing JSON -------------------------------------------


def child(script: str, *argv: str, timeout: float = 3600) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE / script), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(argv)} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def scale(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    n = args.entries or (100_000 if args.quick else 1_000_000)
    csv_in = workdir / f"list-{n}.csv"
    db = workdir / f"list-{n}.db"
    write_import_csv(csv_in, n)
    print(f"  scale: importing {n} entries", file=sys.stderr)
    imp = child("scale.py", "import", "--db", str(db), "--csv", str(csv_in))
    size = sum(p.stat().st_size for p in workdir.glob(f"list-{n}.db*"))
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size_checkpointed = db.stat().st_size
    print("  scale: queries", file=sys.stderr)
    query = child("scale.py", "query", "--db", str(db))
    print("  scale: export", file=sys.stderr)
    export = child("scale.py", "export", "--db", str(db), "--out", str(workdir / "export.csv"))
    return {
        "entries": n,
        "csv_bytes": csv_in.stat().st_size,
        "import": imp,
        "db_bytes_after_import": size,
        "db_bytes": size_checkpointed,
        "query": query,
        "export": export,
    }


def sync(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    push_n = 2_000 if args.quick else 10_000
    rec_n = 20_000 if args.quick else 100_000
    print(f"  sync: push {push_n}", file=sys.stderr)
    push = child("sync_bench.py", "push", "--db", str(workdir / "push.db"), "--n", str(push_n))
    print(f"  sync: reconcile {rec_n}", file=sys.stderr)
    rec = child("sync_bench.py", "reconcile", "--db", str(workdir / "rec.db"), "--n", str(rec_n))
    return {"push": push, "reconcile": rec}


# ---- drain: the real mox posting its queued webhooks ---------------------------------------


def drain(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The real mox delivers N queued webhooks to the bare handler, then to moxhooks,
    alternately (bench/drain.py says how and why). Skipped when there is no mox."""
    mox_bin = os.path.abspath(
        os.environ.get("MOX_BIN", "").strip() or str(ROOT.parent / "shared" / "mox" / "mox")
    )
    if not (os.path.isfile(mox_bin) and os.access(mox_bin, os.X_OK)):
        return {"skipped": f"no mox binary at {mox_bin} (set MOX_BIN to one)"}
    n = 200 if args.quick else 1000
    rounds = 3 if args.quick else 15
    servers: list[Server] = []
    with drain_bench.RealMoxForDrain(mox_bin, workdir) as mox:
        try:
            bare = Server("bare", workdir, mox.url)
            servers.append(bare)
            moxhooks = Server("moxhooks", workdir, mox.url)
            servers.append(moxhooks)
            rows = drain_bench.measure(
                mox,
                [
                    ("ceiling", bare.url, drain_bench.count_bare(bare.url)),
                    ("moxhooks", moxhooks.url, drain_bench.count_moxhooks(moxhooks.url)),
                ],
                n,
                rounds=rounds,
                settle=drain_bench.settle_moxhooks(moxhooks.url.split("/hooks/")[0]),
            )
        finally:
            for server in servers:
                server.stop()
    return {"mox": mox_bin, "n": n, "rounds": rounds, "rows": rows}


# ---- the table -------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    lines: list[str] = []
    m = report["machine"]
    lines.append(
        f"machine: {m['cpus']} CPUs, {m['cpu']}; Python {m['python']}, SQLite {m['sqlite']},"
        f" aiohttp {m['aiohttp']}; load generator: {report['loadgen']}"
    )
    if "ingest" in report:
        lines.append("")
        lines.append(
            "INGEST (mox-shaped Outgoing events, unique X-Mox-Webhook-ID; 9/10 delivered,"
            " 1/10 a 5.1.1 bounce; load max: the load generator above, closed loop;"
            " paced: the aiohttp client, open loop)"
        )
        hdr = (
            "server",
            "conns",
            "load",
            "events/s",
            "p50 ms",
            "p99 ms",
            "ratio",
            "non-200",
            "stored",
        )
        rows: list[tuple[str, ...]] = []
        for r in report["ingest"]:
            stored = "-"
            if "stored" in r:
                stored = f"{r['stored']} {'ok' if r['verified'] else 'MISSING'}"
            rows.append(
                (
                    r["name"],
                    str(r["connections"]),
                    f"paced {r['paced']:.0f}/s" if r["paced"] else "max",
                    f"{r['rps']:.0f}",
                    f"{r['p50_ms']:.2f}",
                    f"{r['p99_ms']:.2f}",
                    f"{r['ratio']:.2f}",
                    str(r["non_200"] + r["errors"]),
                    stored,
                )
            )
        lines += _grid(hdr, rows)
    if "scale" in report:
        s = report["scale"]
        q, imp, ex = s["query"], s["import"], s["export"]
        lines.append("")
        lines.append(f"THE LIST AT SCALE ({s['entries']:,} entries, one account)")
        rows = [
            ("import from CSV", f"{imp['import_s']:.1f} s ({imp['rows_per_s']:.0f} rows/s,"
             f" {imp['added']:,} added), peak RSS {imp['peak_rss_mb']:.0f} MB"),
            ("check, listed address", _ms(q["check_present"])),
            ("check, unlisted address", _ms(q["check_absent"])),
            ("  (parsing the address)", _ms(q["check_present_parse"])),
            (f"page of 50, search {q['search_common']['term']!r} (common)",
             _ms(q["search_common"], q["search_common"]["found"])),
            (f"page of 50, search {q['search_rare']['term']!r} (rare)",
             _ms(q["search_rare"], q["search_rare"]["found"])),
            (f"page of 50, search {q['search_absent']['term']!r} (no match)",
             _ms(q["search_absent"], q["search_absent"]["found"])),
            (f"page of 50, search {q['search_short']['term']!r} (2 characters)",
             _ms(q["search_short"], q["search_short"]["found"])),
            ("page of 50, newest, no search", _ms(q["page_newest"])),
            ("export all to CSV", f"{ex['export_s']:.1f} s, {ex['rows']:,} rows,"
             f" peak RSS {ex['peak_rss_mb']:.0f} MB"),
            ("database size", f"{s['db_bytes'] / 1e6:.0f} MB"
             f" (CSV {s['csv_bytes'] / 1e6:.0f} MB)"),
            ("process RSS (store open, after the queries)",
             f"{q['rss_mb']:.0f} MB (peak {q['peak_rss_mb']:.0f} MB)"),
        ]  # fmt: skip
        lines += _grid(("what", "figure"), rows)
    if "sync" in report:
        p, r = report["sync"]["push"], report["sync"]["reconcile"]
        lines.append("")
        lines.append("SYNC WITH THE FAKE MOX (separate process)")
        rows = [
            (f"push {p['n']:,} new entries", f"{p['push_s']:.1f} s ({p['per_s']:.0f}/s),"
             f" {p['requests']:,} requests, {p['in_mox']:,} now in mox"),
            (f"reconcile {r['n']:,} (first: adopt all)", f"{r['first_s']:.1f} s,"
             f" adopted {r['first_adopted']:,},"
             f" {r['calls'].get('SuppressionList', 0) / 2:g} SuppressionList request a pass"),
            (f"reconcile {r['n']:,} again (nothing new)", f"{r['again_s']:.1f} s,"
             f" {r['requests']} requests for both passes"),
        ]  # fmt: skip
        lines += _grid(("what", "figure"), rows)
    if "drain" in report:
        d = report["drain"]
        lines.append("")
        if "skipped" in d:
            lines.append(f"DRAIN (the real mox): skipped: {d['skipped']}")
        else:
            lines.append(
                f"DRAIN (the real mox, {d['mox']}: N 'canceled' webhooks queued at once,"
                " posted by mox one at a time, as it does to one URL; median of"
                f" {d['rounds']} alternating rounds; paired: the median of the ratios round"
                " by round; receiver: the share of the time mox waited for the receiver's"
                " answers; then processed: how long after the round moxhooks had processed"
                " all N; every round starts once nothing is pending)"
            )
            drain_hdr = ("server", "N", "seconds", "webhooks/s", "ratio", "paired",
                         "POST p50 ms", "receiver", "then processed", "rounds s")  # fmt: skip
            drain_rows: list[tuple[str, ...]] = [
                (
                    r["name"],
                    str(r["n"]),
                    f"{r['seconds']:.3f}",
                    f"{r['rate']:.1f}",
                    f"{r['ratio']:.2f}",
                    f"{r['ratio_paired']:.2f}",
                    f"{r['post_ms_p50']:.2f}",
                    f"{r['receiver_share']:.0%}",
                    f"{r['settle_s']:.2f} s" if r["name"] != "ceiling" else "-",
                    " ".join(f"{s:.3f}" for s in r["runs_s"]),
                )
                for r in d["rows"]
            ]
            lines += _grid(drain_hdr, drain_rows)
    lines += _goals(report)
    return "\n".join(lines)


def _goals(report: dict[str, Any]) -> list[str]:
    """Issue 10's ratios, from the figures above (measured in this one run)."""
    out: list[str] = []
    for r in report.get("ingest", []):
        if r["name"] == "moxhooks" and not r["paced"]:
            what = "serial (1 connection)" if r["connections"] == 1 else f"{r['connections']} connections"
            out.append(f"  ingest {what}: {r['ratio']:.2f} of the bare handler (goal 0.5)")
    d = report.get("drain", {})
    for r in d.get("rows", []):
        if r["name"] == "moxhooks":
            out.append(
                f"  real-mox drain: {r['ratio']:.2f} of the bare handler's rate, median rounds;"
                f" {r['ratio_paired']:.2f} round by round (goal 0.9)"
            )
    ingest = report.get("ingest", [])
    if ingest:
        ok = all(r.get("verified", True) for r in ingest)
        out.append(f"  every 200 stored: {'yes' if ok else 'NO'}")
    return ["", "RATIOS", *out] if out else []


def _ms(d: dict[str, Any], found: int | None = None) -> str:
    text = f"p50 {d['p50_ms']:.3f} ms, p99 {d['p99_ms']:.3f} ms"
    return text + (f" ({found} found)" if found is not None else "")


def _grid(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    out = [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*r) for r in rows]
    return [line.rstrip() for line in out]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a smaller, shorter run")
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    p.add_argument("--only", action="append", choices=("ingest", "scale", "sync", "drain"))
    p.add_argument("--loadgen", choices=("auto", "wrk", "aiohttp"), default="auto")
    p.add_argument("--entries", type=int, default=0, help="list size (default 1,000,000)")
    p.add_argument("--workdir", default="", help="where data goes (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the data")
    args = p.parse_args()
    if args.loadgen == "auto":
        args.loadgen = "wrk" if loadgen.have_wrk() else "aiohttp"
    parts = args.only or ["ingest", "scale", "sync", "drain"]
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="moxhooks-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    loadgen_name = (
        "wrk (Debian package), Lua script" if args.loadgen == "wrk" else "aiohttp client process"
    )
    report: dict[str, Any] = {"machine": machine(), "loadgen": loadgen_name}
    t0 = time.monotonic()
    try:
        if "ingest" in parts:
            report["ingest"] = ingest(args, workdir)
        if "scale" in parts:
            report["scale"] = scale(args, workdir)
        if "sync" in parts:
            report["sync"] = sync(args, workdir)
        if "drain" in parts:
            report["drain"] = drain(args, workdir)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    report["elapsed_s"] = time.monotonic() - t0
    print(table(report))
    if args.json:
        print(json.dumps(report, indent=2))
    bad = [r for r in report.get("ingest", []) if "verified" in r and not r["verified"]]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
