#!/usr/bin/env python3
"""smtpsink.py - a minimal local SMTP server for tests: accepts every message and writes it to a
directory (one file per message, written atomically). Python's smtpd module is deprecated (gone in
3.12), so this speaks the few commands libcurl uses itself (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA,
RSET, NOOP, QUIT), with dot-unstuffing.

usage: smtpsink.py --dir DIR [--port N] [--port-file FILE] [--host 127.0.0.1]
Port 0 (the default) picks a free port; the chosen port is written to --port-file.
Each message file holds "X-Envelope-From:", "X-Envelope-To:" lines, then the message as received.
"""
import argparse
import asyncio
import os
import signal
import sys

MAX_MESSAGE = 10 * 1024 * 1024
MAX_LINE = 4096


class Session:
    counter = 0

    def __init__(self, outdir):
        self.outdir = outdir
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []

    def save(self, data):
        Session.counter += 1
        name = "%d-%06d.eml" % (os.getpid(), Session.counter)
        tmp = os.path.join(self.outdir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-From: " + self.mail_from + b"\r\n")
            for r in self.rcpts:
                f.write(b"X-Envelope-To: " + r + b"\r\n")
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.outdir, name))


async def handle(reader, writer, outdir):
    s = Session(outdir)

    async def send(line):
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    try:
        await send("220 smtpsink ESMTP ready")
        while True:
            line = await reader.readline()
            if not line:
                break
            if len(line) > MAX_LINE:
                await send("500 line too long")
                continue
            cmd = line.rstrip(b"\r\n")
            verb = cmd[:4].upper()
            arg = cmd[5:] if len(cmd) > 5 else b""
            if verb == b"EHLO":
                writer.write(b"250-smtpsink\r\n250-8BITMIME\r\n250 SIZE %d\r\n" % MAX_MESSAGE)
                await writer.drain()
            elif verb == b"HELO":
                await send("250 smtpsink")
            elif verb == b"MAIL":
                if not arg.upper().startswith(b"FROM:"):
                    await send("501 syntax: MAIL FROM:<address>")
                    continue
                s.reset()
                s.mail_from = arg[5:].split(b" ")[0].strip()
                await send("250 OK")
            elif verb == b"RCPT":
                if s.mail_from is None or not arg.upper().startswith(b"TO:"):
                    await send("503 need MAIL first")
                    continue
                s.rcpts.append(arg[3:].strip())
                await send("250 OK")
            elif verb == b"DATA":
                if not s.rcpts:
                    await send("503 need RCPT first")
                    continue
                await send("354 end with <CRLF>.<CRLF>")
                buf = bytearray()
                too_big = False
                while True:
                    l = await reader.readline()
                    if not l:
                        return
                    if l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b".."):
                        l = l[1:]
                    if len(buf) + len(l) > MAX_MESSAGE:
                        too_big = True
                    else:
                        buf += l
                if too_big:
                    await send("552 message too big")
                else:
                    s.save(bytes(buf))
                    await send("250 OK queued")
                s.reset()
            elif verb == b"RSET":
                s.reset()
                await send("250 OK")
            elif verb == b"NOOP":
                await send("250 OK")
            elif verb == b"QUIT":
                await send("221 bye")
                break
            else:
                await send("502 command not implemented")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    server = await asyncio.start_server(lambda r, w: handle(r, w, a.dir), a.host, a.port,
                                        reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
