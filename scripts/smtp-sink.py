#!/usr/bin/env python3
"""A real SMTP server for the tests (Debian's python3-aiosmtpd): every mail it receives is
written as one file (`<n>.eml`, the message as received) into a folder a test reads. It binds
the given address (port 0: any free port) and prints `listening <port>` once it accepts.

    python3 scripts/smtp-sink.py --listen 127.0.0.1:0 --folder /tmp/mails
"""
import argparse
import asyncio
import itertools
import os
import sys

from aiosmtpd.smtp import SMTP


class MailFolder:
    """Writes each message to a new file, atomically (written aside, then renamed)."""

    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        number = next(self.counter)
        final = os.path.join(self.folder, f"{number:04}.eml")
        temporary = final + ".part"
        with open(temporary, "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.rename(temporary, final)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--folder", required=True)
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    os.makedirs(args.folder, exist_ok=True)
    handler = MailFolder(args.folder)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler, hostname="sink.test"), host, int(port))
    )
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
