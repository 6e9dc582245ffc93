#!/usr/bin/env python3
"""ra_load.py - load tool for the registration service benchmarks (scripts/bench-ra.sh).

  ra_load.py prepare URL N FILE   register N applicants, log each in, create a complete draft
                                  order (expert, new) with its materials; sessions -> FILE
  ra_load.py submit FILE          all N sessions submit their order at once (a barrier, one
                                  thread per session); prints p50/p99/max latency in ms
  ra_load.py create FILE SECONDS  every session creates draft orders in a loop; prints orders/s
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def conn(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def req(c, method, path, body=None, cookie=None, csrf=None, ctype="application/json"):
    h = {}
    if body is not None:
        h["Content-Type"] = ctype
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
    if cookie:
        h["Cookie"] = cookie
    if csrf:
        h["X-CSRF-Token"] = csrf
    c.request(method, "/api/v1" + path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    return r.status, data, r.getheader("Set-Cookie")


FIELDS = {
    "project": "bench", "medium": "usbkey", "handling": "onsite", "person_name": "压测",
    "person_phone": "13800138000", "person_id_type": "id-card",
    "person_id_number": "11010519491231002X", "person_org": "压测单位",
    "person_email": "bench@example.cn", "declarations_accepted": True, "price_confirmed": True,
}
KINDS = ["certificate-application", "seal-application", "service-agreement", "ca-agreement",
         "person-id-front", "person-id-back"]


def prepare_one(url, i, png, out, lock):
    c = conn(url)
    phone = "139%08d" % i
    body = {"phone": phone, "email": "b%d@example.cn" % i, "password": "bench-password-1",
            "name": "压测%d" % i}
    st, data, _ = req(c, "POST", "/accounts", body)
    if st != 201:
        raise SystemExit("register %d: %d %s" % (i, st, data[:200]))
    st, data, sc = req(c, "POST", "/session", {"login": phone, "password": "bench-password-1"})
    if st != 200:
        raise SystemExit("login %d: %d %s" % (i, st, data[:200]))
    cookie = sc.split(";")[0]
    csrf = json.loads(data)["csrf"]
    o = dict(FIELDS, business="new", subject_kind="expert")
    st, data, _ = req(c, "POST", "/orders", o, cookie, csrf)
    if st != 201:
        raise SystemExit("order %d: %d %s" % (i, st, data[:200]))
    oid = json.loads(data)["id"]
    for k in KINDS:
        st, data, _ = req(c, "PUT", "/orders/%d/materials/%s" % (oid, k), png, cookie, csrf,
                          "image/png")
        if st != 201:
            raise SystemExit("upload %d: %d %s" % (i, st, data[:200]))
    with lock:
        out.append({"cookie": cookie, "csrf": csrf, "order": oid})


def prepare(url, n, path):
    png = open(sys.argv[5] if len(sys.argv) > 5 else "png", "rb").read()
    out, lock = [], threading.Lock()
    sem = threading.Semaphore(16)

    def run(i):
        with sem:
            prepare_one(url, i, png, out, lock)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if len(out) != n:
        raise SystemExit("prepared %d of %d" % (len(out), n))
    json.dump({"url": url, "sessions": out}, open(path, "w"))


def pct(xs, p):
    xs = sorted(xs)
    i = max(0, min(len(xs) - 1, int(len(xs) * p + 0.999999) - 1))
    return xs[i]


def submit(path):
    cfg = json.load(open(path))
    url, ss = cfg["url"], cfg["sessions"]
    conns = [conn(url) for _ in ss]
    for c in conns:
        c.connect()
    lat, errs = [None] * len(ss), []
    barrier = threading.Barrier(len(ss))

    def run(i):
        s = ss[i]
        barrier.wait()
        t0 = time.perf_counter()
        st, data, _ = req(conns[i], "POST", "/orders/%d/submit" % s["order"], None, s["cookie"],
                          s["csrf"])
        lat[i] = (time.perf_counter() - t0) * 1000
        if st != 200:
            errs.append("%d %s" % (st, data[:200]))

    t0 = time.perf_counter()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(ss))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    if errs:
        raise SystemExit("submit errors: %s" % errs[:3])
    print("p50 %.1f p99 %.1f max %.1f ms; %d submissions in %.2f s" %
          (pct(lat, 0.5), pct(lat, 0.99), max(lat), len(lat), wall))


def create(path, secs):
    cfg = json.load(open(path))
    url, ss = cfg["url"], cfg["sessions"][:16]
    count, lock, stop = [0], threading.Lock(), time.time() + secs
    body = {"business": "new", "subject_kind": "organization", "medium": "usbkey", "years": 1}

    def run(s):
        c = conn(url)
        n = 0
        while time.time() < stop:
            st, data, _ = req(c, "POST", "/orders", body, s["cookie"], s["csrf"])
            if st != 201:
                raise SystemExit("create: %d %s" % (st, data[:200]))
            n += 1
        with lock:
            count[0] += n

    ts = [threading.Thread(target=run, args=(s,)) for s in ss]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("%.0f orders/s" % (count[0] / (time.perf_counter() - t0)))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "submit":
        submit(sys.argv[2])
    elif sys.argv[1] == "create":
        create(sys.argv[2], float(sys.argv[3]))
