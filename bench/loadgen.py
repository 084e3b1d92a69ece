"""Load generators for the ingest benchmark; both run in a process of their own.

- wrk (Debian package `wrk`), driven by a Lua script that gives every request a new
  X-Mox-Webhook-ID and a mox-shaped body, and counts the statuses.
- an aiohttp client (python bench/loadgen.py ...), used when wrk is not installed: N
  connections, each posting one request at a time. It also records which webhook IDs
  got a 200, so the run can check each of them is in the database.

Both return the same dict: requests, ok (200s), non_200, errors, duration_s, rps,
p50_ms, p99_ms, max_ms, id_min, id_max, ok_ids (aiohttp only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import outgoing_body
from procstat import pct

HEADERS = {
    "User-Agent": "mox/v0.0.17 (webhook)",
    "Content-Type": "application/json; charset=utf-8",
    "X-Mox-Webhook-Attempt": "1",
}

# The Lua script: the same body as data.outgoing_body, built per request.
WRK_LUA = r"""
local id_base = ID_BASE
local auth = "AUTH"
threads = {}
local n_threads = 0

function setup(thread)
  thread:set("base", id_base + n_threads * 100000000)
  n_threads = n_threads + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  ok = 0
  bad = 0
  wrk.headers["Content-Type"] = "application/json; charset=utf-8"
  wrk.headers["User-Agent"] = "mox/v0.0.17 (webhook)"
  wrk.headers["X-Mox-Webhook-Attempt"] = "1"
  if auth ~= "" then wrk.headers["Authorization"] = auth end
end

local function body(id)
  local failed = (id % 10 == 0)
  local event, code, secode, err, supp = "delivered", 0, "", "", "false"
  if failed then
    event, code, secode, supp = "failed", 550, "5.1.1", "true"
    err = "delivering message to 127.0.0.1:1025: remote smtp server sent unexpected response"
      .. " status code: got 550, expected 2xx, permanent: 550 5.1.1 no such user"
  end
  return string.format(
    '{"Version":0,"Event":"%s","DSN":false,"Suppressing":%s,"QueueMsgID":%d,' ..
    '"FromID":"yNA_hS-0ZNhzV-C55FLyWg","MessageID":"<bench%d@localhost>",' ..
    '"Subject":"Your order has shipped","WebhookQueued":"2026-11-22T01:52:56.505784585Z",' ..
    '"SMTPCode":%d,"SMTPEnhancedCode":"%s","Error":"%s",' ..
    '"Extra":{"recipient":"rcpt%d@example.org","topic":"orders"}}',
    event, supp, id, id, code, secode, err, id)
end

function request()
  counter = counter + 1
  local id = base + counter
  wrk.headers["X-Mox-Webhook-ID"] = tostring(id)
  return wrk.format("POST", nil, nil, body(id))
end

function response(status, headers, b)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local tok, tbad, maxid, minid = 0, 0, 0, -1
  for i, t in ipairs(threads) do
    tok = tok + t:get("ok")
    tbad = tbad + t:get("bad")
    local b = t:get("base")
    local c = t:get("counter")
    if minid < 0 or b + 1 < minid then minid = b + 1 end
    if b + c > maxid then maxid = b + c end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"ok":%d,"non_200":%d,' ..
    '"errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"id_min":%d,"id_max":%d}\n',
    summary.requests, summary.duration, tok, tbad,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, minid, maxid))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str, *, connections: int, duration: float, id_base: int, auth: str, workdir: Path
) -> dict[str, Any]:
    """Run wrk against url; one wrk thread per 32 connections, at most 2 (the machine's cores)."""
    script = workdir / f"wrk-{id_base}.lua"
    script.write_text(WRK_LUA.replace("ID_BASE", str(id_base)).replace("AUTH", auth))
    threads = max(1, min(2, connections // 32))
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout}\n{proc.stderr}")
    r = json.loads(line[len("WRKJSON ") :])
    dur = r["duration_us"] / 1e6
    return {
        "loadgen": "wrk",
        "requests": r["requests"],
        "ok": r["ok"],
        "non_200": r["non_200"],
        "errors": r["errors"],
        "duration_s": dur,
        "rps": r["ok"] / dur if dur else 0.0,
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "max_ms": r["max_us"] / 1000,
        "id_min": r["id_min"],
        "id_max": r["id_max"],
        "ok_ids": None,
    }


async def _aiohttp_load(
    url: str, connections: int, duration: float, id_base: int, auth: str, rate: float = 0.0
) -> dict[str, Any]:
    """Closed loop (each connection posts again as soon as it has its answer), or with
    rate > 0 paced: request k of the run is due at k / rate seconds, spread over the
    connections, and its latency counts from when it was due (so a slow answer that
    delays the next request is not hidden)."""
    headers = dict(HEADERS)
    if auth:
        headers["Authorization"] = auth
    latencies: list[float] = []
    ok_ids: list[int] = []
    counts = {"requests": 0, "non_200": 0, "errors": 0}
    next_id = id_base
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=10)

    start = time.perf_counter()
    deadline = start + duration
    seq = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal next_id, seq
        while time.perf_counter() < deadline:
            next_id += 1
            hook_id = next_id
            h = {**headers, "X-Mox-Webhook-ID": str(hook_id)}
            t = time.perf_counter()
            if rate > 0:
                due = start + seq / rate
                seq += 1
                if due > t:
                    await asyncio.sleep(due - t)
                t = due
            try:
                async with session.post(url, data=outgoing_body(hook_id), headers=h) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                counts["errors"] += 1
                continue
            latencies.append(time.perf_counter() - t)
            counts["requests"] += 1
            if status == 200:
                ok_ids.append(hook_id)
            else:
                counts["non_200"] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    dur = time.perf_counter() - start
    return {
        "loadgen": "aiohttp" + (f", paced at {rate:g}/s" if rate > 0 else ""),
        **counts,
        "ok": len(ok_ids),
        "duration_s": dur,
        "rps": len(ok_ids) / dur if dur else 0.0,
        "p50_ms": pct(latencies, 50) * 1000,
        "p99_ms": pct(latencies, 99) * 1000,
        "max_ms": max(latencies, default=0.0) * 1000,
        "id_min": id_base + 1,
        "id_max": next_id,
        "ok_ids": ok_ids,
    }


def run_aiohttp(
    url: str,
    *,
    connections: int,
    duration: float,
    id_base: int,
    auth: str,
    workdir: Path,
    rate: float = 0.0,
) -> dict[str, Any]:
    """Run the aiohttp load generator in a separate process."""
    out = workdir / f"load-{id_base}.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--url",
        url,
        "--connections",
        str(connections),
        "--duration",
        str(duration),
        "--id-base",
        str(id_base),
        "--auth",
        auth,
        "--out",
        str(out),
        "--rate",
        str(rate),
    ]
    subprocess.run(cmd, check=True, timeout=duration + 60)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--connections", type=int, default=1)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--id-base", type=int, default=0)
    p.add_argument("--auth", default="")
    p.add_argument("--out", required=True)
    p.add_argument("--rate", type=float, default=0.0, help="requests/s in all; 0: closed loop")
    a = p.parse_args()
    r = asyncio.run(_aiohttp_load(a.url, a.connections, a.duration, a.id_base, a.auth, a.rate))
    Path(a.out).write_text(json.dumps(r))


if __name__ == "__main__":
    main()
