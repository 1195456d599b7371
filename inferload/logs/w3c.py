"""W3C extended log files (IIS, and other servers that write them).

The file says its own format: a `#Fields:` directive names the columns (`date time c-ip
cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent) time-taken`), separated by spaces
(IIS) or tabs (Amazon CloudFront); values hold no spaces (IIS writes a user agent's as `+`,
CloudFront as `%20`), `-` means none, and times are UTC. `time-taken` is whole milliseconds in
IIS, seconds with a decimal point in CloudFront.
The other `#` directives (`#Software`, `#Version`, `#Date`) and a header repeated when the
server restarts are no requests: they are counted as dropped, not malformed. A line with
another number of columns than the first `#Fields:` names (a later header that changed the
fields) is malformed, with its line number.
"""

from __future__ import annotations

import polars as pl

from inferload.logs.parse import marked, to_records

FIELDS_DIRECTIVE = "#Fields:"
STAMPED_AT_END = True  # IIS and CloudFront take a request's time when they finish responding
# W3C field -> canonical field (IIS names; `cs(...)` are request headers)
_CANONICAL = {
    "c-ip": "client_ip",
    "cs-username": "remote_user",
    "cs-method": "method",
    "cs-uri-stem": "path",
    "cs-uri-query": "query",
    "sc-status": "status",
    "cs(user-agent)": "user_agent",
    "cs(cookie)": "cookie",
    "cs(x-forwarded-for)": "forwarded_for",
    "x-forwarded-for": "forwarded_for",
    "time-taken": "request_time_ms",  # IIS: milliseconds
}


def looks_like_w3c(sample: list[str]) -> bool:
    return sample[0].startswith("#") and fields_of(sample) is not None


def fields_of(sample: list[str]) -> tuple[str, ...] | None:
    """The columns the first `#Fields:` directive names, lower case."""
    for line in sample:
        if line.startswith(FIELDS_DIRECTIVE):
            return tuple(name.lower() for name in line[len(FIELDS_DIRECTIVE) :].split())
    return None


def parse_w3c_lines(lines: pl.DataFrame, fields: tuple[str, ...], source: int) -> pl.DataFrame:
    """Lines of a W3C extended log -> records (see the module's docstring)."""
    lines = lines.filter(pl.col("line").str.strip_chars().str.len_bytes() > 0)
    parts = (
        pl.col("line").str.strip_chars_end().str.replace_all("\t", " ", literal=True).str.split(" ")
    )
    frame = lines.with_columns(parts.alias("parts"))

    def column(name: str) -> pl.Expr:
        value = pl.col("parts").list.get(fields.index(name), null_on_oob=True)
        return pl.when(value == "-").then(None).otherwise(value)

    canonical = {target: column(name) for name, target in _CANONICAL.items() if name in fields}
    if "user_agent" in canonical:
        canonical["user_agent"] = (
            canonical["user_agent"]
            .str.replace_all("+", " ", literal=True)
            .str.replace_all("%20", " ", literal=True)
        )
    if "request_time_ms" in canonical:
        taken = canonical["request_time_ms"]
        number = taken.cast(pl.Float64, strict=False)
        in_seconds = taken.str.contains(".", literal=True)  # CloudFront's; IIS writes whole ms
        canonical["request_time_ms"] = pl.when(in_seconds).then(number * 1000).otherwise(number)
    if "date" in fields and "time" in fields:  # without a date, every time is unreadable
        canonical["time_iso"] = column("date") + pl.lit("T") + column("time") + pl.lit("Z")
    width_differs = pl.col("parts").list.len() != len(fields)
    unmatched = "does not match the file's #Fields"
    records = to_records(frame, canonical, source, unmatched, stamped_at_end=STAMPED_AT_END)
    is_directive = frame.select(pl.col("line").str.starts_with("#")).to_series()
    is_short = frame.select(width_differs).to_series()
    return marked(marked(records, is_short, unmatched), is_directive)  # a directive, first of all
