"""The bounce collector of round 19 part m: an SMTP listener on 127.0.0.1 that stores the DATA of
every message verbatim (after SMTP's dot-unstuffing) in its own file, and appends the session's
EHLO name, MAIL FROM and RCPT TO to index.jsonl. It says 250 to everything; it writes no text
of its own into a message (no Received or Return-Path line)."""

import asyncio
import json
import sys
import time
from pathlib import Path

OUT = Path(sys.argv[1])
PORT = int(sys.argv[2])
counter = 0


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global counter
    helo, mail, rcpts = "", "", []
    writer.write(b"220 sink.example.com ESMTP\r\n")
    await writer.drain()
    while line := await reader.readline():
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            helo = line[5:].strip().decode("ascii", "replace")
            writer.write(b"250-sink.example.com\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 DSN\r\n")
        elif verb == b"MAIL":
            mail, rcpts = line.strip().decode("utf-8", "replace"), []
            writer.write(b"250 ok\r\n")
        elif verb == b"RCPT":
            rcpts.append(line.strip().decode("utf-8", "replace"))
            writer.write(b"250 ok\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go\r\n")
            await writer.drain()
            data = bytearray()
            while (chunk := await reader.readline()) not in (b".\r\n", b".\n", b""):
                data += chunk[1:] if chunk.startswith(b".") else chunk
            counter += 1
            name = f"{time.strftime('%H%M%S')}-{counter:03d}.eml"
            (OUT / name).write_bytes(bytes(data))
            with open(OUT / "index.jsonl", "a") as index:
                index.write(json.dumps({"file": name, "helo": helo, "mail": mail, "rcpt": rcpts}) + "\n")
            writer.write(b"250 stored\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()
    writer.close()


async def main() -> None:
    server = await asyncio.start_server(session, "127.0.0.1", PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
