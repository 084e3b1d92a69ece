"""Slow and many connections against `moxhooks serve` (a real process, its file limit
lowered): more stalled connections (from other loopback addresses) than the process can hold open
files for, and real webhooks still get their 200 within a second; stalled connections are closed after the
header timeout; the limit is logged once, not per connection."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from conftest import SECRET
from fakemox import FakeMox
from moxsender import go_marshal, outgoing_event
from served import free_port, serve, wait_ready, write_config

NOFILE = 400  # the server's limit on open files
SLOW = 600  # stalled connections kept open against it, more than NOFILE
WEBHOOKS = 60
HEADER_TIMEOUT = 3.0
ATTACK_SECONDS = 12.0


@pytest.mark.parametrize(
    "sources",
    [["127.0.0.2", "127.0.0.3", "127.0.0.4"], ["127.0.0.1"]],
    ids=["from-other-addresses", "from-the-webhooks-own-address"],
)
async def test_webhooks_flow_past_more_stalled_connections_than_files(
    tmp_path: Path, fakemox: FakeMox, sources: list[str]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    config = write_config(tmp_path, port, fakemox.url, SECRET,
                          server={"header_timeout": HEADER_TIMEOUT})
    log = tmp_path / "serve.log"
    async with serve(config, log, nofile=NOFILE) as proc:
        await wait_ready(base, proc, log)
        # The stalled clients: another process, from other loopback addresses or from the
        # webhooks' own (a client on mox's host).
        per_source = SLOW // len(sources)
        attacker = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).with_name("slowloris.py")), str(port),
            str(per_source), str(ATTACK_SECONDS), *sources, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await asyncio.sleep(3.0)  # all of them connected and stalled
        latencies: list[float] = []
        statuses: list[int] = []
        # A new connection for every webhook, as the hardest case for admission.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as s:
            for i in range(1, WEBHOOKS + 1):
                body = go_marshal(outgoing_event("delivered", queue_msg_id=i))
                headers = {"Authorization": f"Bearer {SECRET}", "X-Mox-Webhook-ID": str(i),
                           "Content-Type": "application/json"}
                t0 = time.perf_counter()
                try:
                    async with s.post(base + "hooks/outgoing/mox", data=body, headers=headers,
                                      timeout=aiohttp.ClientTimeout(total=5)) as r:
                        await r.read()
                        statuses.append(r.status)
                except (aiohttp.ClientError, TimeoutError):
                    statuses.append(0)
                latencies.append(time.perf_counter() - t0)
                await asyncio.sleep(0.05)
        out, _ = await attacker.communicate()
        opened = int(out.decode().split()[-1])
        # A stalled connection is closed after the header timeout, with no help from others.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        t0 = time.perf_counter()
        # Closed by the server (the outer deadline only keeps a broken limit from hanging the
        # suite), and not before its header timeout.
        assert await asyncio.wait_for(reader.read(), HEADER_TIMEOUT + 60) == b""
        closed_after = time.perf_counter() - t0
        writer.close()
    text = log.read_text()
    print(f"\n{opened} stalled connections opened; webhooks: {statuses.count(200)}/{WEBHOOKS} "
          f"200, latency p50 {1000 * statuses and 1000 * statistics.median(latencies):.1f} ms, "
          f"max {1000 * max(latencies):.1f} ms; a stalled connection closed after {closed_after:.1f} s")
    assert opened > NOFILE
    # Every webhook answered 200 within the client's 5 s timeout (a timeout counts as 0); how
    # fast is printed above, a figure, not a pass mark.
    assert statuses == [200] * WEBHOOKS
    assert closed_after >= HEADER_TIMEOUT - 1
    assert "Too many open files" not in text and "Traceback" not in text
    # Logged once when first reached (one limit: per address from one source, the total
    # from three), then once a minute: the 12 s attack gets exactly one line.
    limit_lines = [line for line in text.splitlines() if "limit reached" in line]
    assert len(limit_lines) == 1, limit_lines
