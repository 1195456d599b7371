"""HAProxy's HTTP log (`option httplog`), behind a syslog header or written raw.

    Feb 25 16:19:49 lb haproxy[7]: 141.35.244.171:53332 [25/Feb/2019:16:19:48.143] http-in~
    be/srv 0/0/7/1457/1487 200 11394 - - ---- 2/1/0/0/0 0/0 {Mozilla/5.0 ...} "GET /a HTTP/1.1"

The client with its port, the accept date (local time, no zone: read as UTC, which shifts the
window shown but no gap or rate), the timers Tq/Tw/Tc/Tr/Ta whose last is the whole request in
ms (`+` with `option logasap`, -1 when it was aborted), the status, captured headers in braces,
and the request line last. The proxy's own messages in the same stream ("Proxy http-in
started.", "SSL handshake failure") carry no request: dropped as not an access record.
"""

from __future__ import annotations

import re

import polars as pl

from inferload.logs.parse import EPOCH_SECONDS, marked, to_records

# Rust's and Python's regex syntax alike (detection runs Python's on the sample)
HTTP_LOG = (
    r"^(?:.*?haproxy\[\d+\]: )?(\S+):\d+ \[([^\]]+)\] \S+ \S+ "
    r'-?\d+/-?\d+/-?\d+/-?\d+/\+?(-?\d+) (\d{3}) [^"]*"(\S+) ([^ ?"]*)(?:\?([^ "]*))?[^"]*"'
)
_GROUPS = ("client_ip", "accepted", "total_ms", "status", "method", "path", "query")
_SYSLOG_HAPROXY = re.compile(r"haproxy\[\d+\]: ")


def looks_like_haproxy(sample: list[str]) -> bool:
    """Most of the sample is HAProxy's: its syslog tag, and requests among the messages."""
    pattern = re.compile(HTTP_LOG)
    tagged = sum(1 for line in sample if _SYSLOG_HAPROXY.search(line) or pattern.match(line))
    return tagged >= 0.6 * len(sample) and any(pattern.match(line) for line in sample)


def parse_haproxy_lines(lines: pl.DataFrame, source: int) -> pl.DataFrame:
    """Lines of an HAProxy HTTP log -> records (see the module's docstring)."""
    lines = lines.filter(pl.col("line").str.strip_chars().str.len_bytes() > 0)
    parts = pl.col("line").str.extract_groups(HTTP_LOG)
    frame = lines.with_columns(parts.alias("parts")).unnest("parts")
    frame = frame.rename({str(i + 1): name for i, name in enumerate(_GROUPS)})
    total = pl.col("total_ms").cast(pl.Float64, strict=False)
    accepted = pl.col("accepted").str.strptime(
        pl.Datetime("us", "UTC"), "%d/%b/%Y:%H:%M:%S%.f", strict=False
    )
    fields = {
        "client_ip": pl.col("client_ip"),
        EPOCH_SECONDS: accepted.dt.epoch("us") / 1e6,
        "request_time_ms": pl.when(total >= 0).then(total),
        "status": pl.col("status"),
        "method": pl.col("method"),
        "path": pl.col("path"),
        "query": pl.col("query"),
    }
    records = to_records(  # the accept date: when the connection came
        frame, fields, source, "does not match HAProxy's HTTP log", stamped_at_end=False
    )
    no_request = frame.select(
        pl.col("client_ip").is_null() & ~pl.col("line").str.contains('"', literal=True)
    )
    return marked(records, no_request.to_series())
