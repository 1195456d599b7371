"""Write a realistic nginx `combined` access log over the Stripe catalog, for benchmarks.

Clients arrive over a day and run sessions: a Zipf mix of operations with hot ids, lognormal
think times, a few static assets, bots and health checks; timestamps are written in request-end
order (a little out of order, as real logs are).

    .venv/bin/python benchmarks/generate_access_log.py 1000000 /tmp/bench-1m.log
"""

from __future__ import annotations

import heapq
import itertools
import random
import re
import string
import sys
import time
from pathlib import Path

from inferload.spec import build_catalog

STRIPE = Path(__file__).resolve().parent.parent / "fixtures" / "specs" / "stripe" / "spec3.yaml"
PARAM = re.compile(r"\{([^{}]+)\}")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "stripe-python/7.9.0",
    "okhttp/4.12.0",
)
NOISE = (
    ('"GET /static/app.{h}.js HTTP/1.1" 200 48213', BROWSERS[0]),
    ('"GET /favicon.ico HTTP/1.1" 200 1150', BROWSERS[1]),
    ('"GET /healthz HTTP/1.1" 200 2', "ELB-HealthChecker/2.0"),
    (
        '"GET /v1/customers HTTP/1.1" 200 5120',
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ),
)


def clf_time(epoch: float) -> str:
    t = time.gmtime(epoch)
    return f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def generate(lines: int, out: Path, seed: int = 11) -> None:
    rng = random.Random(seed)
    catalog = build_catalog(STRIPE)
    operations = list(catalog.operations)
    rng.shuffle(operations)
    op_cum = list(itertools.accumulate(1 / (rank + 1) ** 1.1 for rank in range(len(operations))))
    ids = ["".join(rng.choices(string.ascii_letters + string.digits, k=14)) for _ in range(20000)]
    id_cum = list(itertools.accumulate(1 / (rank + 1) ** 1.2 for rank in range(len(ids))))
    start = 1_700_000_000.0
    day = 86_400.0
    pending: list[tuple[float, str]] = []  # (end time, line), written in end-time order
    written = 0
    client = 0
    clock = start
    mean_gap = day / (lines / 12)  # ~12 requests per session
    with out.open("w") as handle:
        while written < lines:
            clock += rng.expovariate(1 / mean_gap)
            client += 1
            ip = f"10.{client // 65536 % 256}.{client // 256 % 256}.{client % 256}"
            agent = rng.choice(BROWSERS)
            at = clock
            for _ in range(max(1, int(rng.lognormvariate(2.2, 0.6)))):
                if rng.random() < 0.05:
                    request, noise_agent = rng.choice(NOISE)
                    request = request.replace("{h}", f"{rng.getrandbits(32):08x}")
                    line = f'{ip} - - [{clf_time(at)}] {request} "-" "{noise_agent}"'
                else:
                    op = rng.choices(operations, cum_weights=op_cum)[0]
                    path = PARAM.sub(
                        lambda _m: "obj_" + rng.choices(ids, cum_weights=id_cum)[0], op.path
                    )
                    if op.method == "GET" and rng.random() < 0.4:
                        path += f"?limit={rng.choice((10, 25, 100))}"
                    status = 200 if rng.random() > 0.03 else rng.choice((400, 404, 500))
                    line = (
                        f'{ip} - - [{clf_time(at)}] "{op.method} {path} HTTP/1.1" {status} '
                        f'{rng.randint(200, 9000)} "-" "{agent}"'
                    )
                heapq.heappush(pending, (at + rng.random() * 2, line))
                at += rng.lognormvariate(1.6, 0.9)
            while pending and pending[0][0] < clock and written < lines:
                handle.write(heapq.heappop(pending)[1] + "\n")
                written += 1
        while pending and written < lines:
            handle.write(heapq.heappop(pending)[1] + "\n")
            written += 1


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"/tmp/inferload-bench-{count}.log")
    began = time.perf_counter()
    generate(count, target)
    print(f"wrote {count:,} lines to {target} in {time.perf_counter() - began:.1f} s")
