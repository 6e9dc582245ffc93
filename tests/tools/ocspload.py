#!/usr/bin/env python3
"""ocspload.py PORT PATH SECONDS [THREADS] - HTTP/1.0 GET load for responders that close every
connection (openssl ocsp -port): one request per connection, as that server requires. Prints
completed responses per second. Loopback only, bounded in time."""
import socket
import sys
import threading
import time

port, path, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
req = f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode()
count = [0] * threads
stop = time.monotonic() + secs


def worker(i):
    while time.monotonic() < stop:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(req)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            if data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"):
                count[i] += 1
        except OSError:
            time.sleep(0.01)


t0 = time.monotonic()
ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(f"{sum(count) / (time.monotonic() - t0):.0f}")
