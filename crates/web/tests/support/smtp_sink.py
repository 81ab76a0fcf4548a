#!/usr/bin/env python3
"""An SMTP server for the reminder tests (aiosmtpd), on 127.0.0.1.

Usage: smtp_sink.py DIR [--port N] [--accept | --tempfail | --permfail | --stall]

Prints the port it listens on (one line) once it accepts connections. Every message it
accepts is written to DIR as NNNN.eml, byte for byte as received.
  --accept    (the default) takes every message: 250 2.0.0 Ok: queued as NNNN
  --tempfail  answers 451 to RCPT and DATA
  --permfail  answers 550 to RCPT and DATA
  --stall     never answers DATA (sleeps 60 s first)
"""

import argparse
import asyncio
import itertools
import os
import sys

from aiosmtpd.smtp import SMTP

TEMPFAIL = "451 4.3.0 Mailbox temporarily unavailable, try again later"
PERMFAIL = "550 5.1.1 No such mailbox here"


class Sink:
    def __init__(self, directory, mode):
        self.directory = directory
        self.mode = mode
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "tempfail":
            return TEMPFAIL
        if self.mode == "permfail":
            return PERMFAIL
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "tempfail":
            return TEMPFAIL
        if self.mode == "permfail":
            return PERMFAIL
        if self.mode == "stall":
            await asyncio.sleep(60)
        number = next(self.counter)
        path = os.path.join(self.directory, f"{number:04}.eml")
        with open(path + ".part", "wb") as f:
            f.write(envelope.original_content)
        os.replace(path + ".part", path)
        return f"250 2.0.0 Ok: queued as {number:04}"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=0)
    mode = parser.add_mutually_exclusive_group()
    for name in ("accept", "tempfail", "permfail", "stall"):
        mode.add_argument(f"--{name}", dest="mode", action="store_const", const=name)
    args = parser.parse_args()
    sink = Sink(args.directory, args.mode or "accept")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", ident="devhub test sink"),
        host="127.0.0.1",
        port=args.port,
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
