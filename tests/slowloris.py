"""A slow client, as a process of its own: N stalled connections from each source address.

    python tests/slowloris.py PORT N SECONDS SOURCE_IP...

Each connection sends a request line and then one header byte a second, never finishing
its headers; when the server closes it, it connects again (after 0.1 s). At the end it
prints how many connections it opened. Loopback addresses only.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys


async def one(port: int, source: str, stop: asyncio.Event, opened: list[int]) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        except OSError:
            await asyncio.sleep(0.1)
            continue
        opened[0] += 1
        try:
            writer.write(b"POST /hooks/outgoing/mox HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            while not stop.is_set():
                writer.write(b"a")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    if await asyncio.wait_for(reader.read(1), 1.0) == b"":
                        break  # closed by the server
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
        await asyncio.sleep(0.1)


async def main(port: int, n: int, seconds: float, sources: list[str]) -> None:
    assert all(s.startswith("127.") for s in sources), "loopback only"
    stop = asyncio.Event()
    opened = [0]
    tasks = [asyncio.create_task(one(port, s, stop, opened)) for s in sources for _ in range(n)]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(opened[0], flush=True)


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]))
