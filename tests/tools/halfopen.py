#!/usr/bin/env python3
"""halfopen.py PORT N SECONDS - open N connections that send half a request and then stall,
keep them open for SECONDS, then close them. Bounded in count and time; loopback only."""
import socket
import sys
import time

port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    socks.append(s)
print(f"holding {len(socks)} half-open connections", flush=True)
time.sleep(secs)
for s in socks:
    s.close()
