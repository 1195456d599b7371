"""Lines of text -> canonical request records, vectorised with Polars.

Every format ends in the same columns (see `RECORD_SCHEMA`), so cleaning and sessionizing
never care where a record came from. A line that cannot be read keeps its line number and gets
a `malformed` reason instead: counted and reported, never fatal.
"""

from __future__ import annotations

import polars as pl

from inferload.logs.formats import LineFormat

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.Int32(),
    "line_no": pl.Int64(),
    "ts": pl.Float64(),  # epoch seconds, UTC
    "client_ip": pl.String(),
    "user_agent": pl.String(),
    "method": pl.String(),
    "path": pl.String(),  # the request target up to its first `?`
    "query": pl.String(),  # after it; null without a `?`
    "status": pl.Int32(),
    "request_time_ms": pl.Float64(),
    "identity": pl.String(),  # an explicit user or session id, when the log has one
    "authorization": pl.String(),
    "cookie": pl.String(),
    "malformed": pl.String(),  # why the line could not be read; null for good records
}
# every field `to_records` builds a record from (a format or JSON shape gives some of them)
FIELDS_READ = frozenset(
    {"time_iso", "time_epoch", "time_local", "method", "url", "request", "path", "query", "status",
     "client_ip", "forwarded_for", "user_agent", "request_time_s", "request_time_ms",
     "request_time_us", "request_time_ns", "upstream_time_s", "session", "remote_user", "authorization", "cookie"}
)  # fmt: skip
_METHOD = r"^[A-Z][A-Z-]{1,15}$"
# a parser that reads a time no other field takes (HAProxy's zone-less date with milliseconds)
# gives it as epoch seconds, a float, under this name; durations may be floats too
EPOCH_SECONDS = "epoch_s"
NOT_AN_ACCESS_RECORD = "not an access record"
OTHER_HOST = "another host than the API's"  # a HAR's third-party calls (fonts, analytics, CDN)
# nginx and Apache log a connection that sent no request line (closed, timed out, or TLS spoken
# to a plain port) as `"-" 400` or `408`: a well-formed line, but no request to replay
NO_REQUEST = "no request (logged as '-': the connection sent none)"
DROPPED_AT_READ = (NOT_AN_ACCESS_RECORD, OTHER_HOST, NO_REQUEST)  # drops, not malformed lines


def parse_text_lines(lines: pl.DataFrame, line_format: LineFormat, source: int) -> pl.DataFrame:
    """`lines` (line_no, line) in `line_format` -> records. Blank lines are skipped."""
    lines = lines.filter(pl.col("line").is_not_null())  # blank lines arrive as nulls
    groups = [f"g{i}" for i in range(len(line_format.fields))]
    fast = (
        _extract_head_and_last(lines, line_format.head_regex, groups)
        if line_format.head_regex is not None
        else _extract(lines, line_format.regex, groups)
    )
    rejected = fast.filter(pl.col(groups[0]).is_null()).select(lines.columns)
    if rejected.height:
        rejected = rejected.filter(pl.col("line").str.strip_chars().str.len_bytes() > 0)
        retried = _extract(rejected, line_format.tolerant_regex, groups)
        if "client_ip" in line_format.fields:  # the tolerant pattern reads a list of hops
            client = groups[line_format.fields.index("client_ip")]
            retried = retried.with_columns(first_address(pl.col(client)).alias(client))
        fast = pl.concat([fast.filter(pl.col(groups[0]).is_not_null()), retried]).sort("line_no")
    fields: dict[str, pl.Expr] = {}
    for group, field in zip(groups, line_format.fields, strict=True):
        fields[field] = (
            pl.col(group).replace("-", None) if field in _DASH_IS_NULL else pl.col(group)
        )
    if line_format.absolute_targets:
        fields["path"] = _origin_less(fields["path"])
    return to_records(
        fast,
        fields,
        source,
        f"does not match the {line_format.name} format",
        stamped_at_end=line_format.stamped_at_end,
    )


# Fields where nginx and Apache write `-` for "none"; elsewhere `-` cannot occur or is harmless.
_DASH_IS_NULL = frozenset(
    {"remote_user", "user_agent", "request_time_s", "upstream_time_s", "session", "authorization",
     "cookie", "forwarded_for"}
)  # fmt: skip


def first_address(addresses: pl.Expr) -> pl.Expr:
    """The client of an X-Forwarded-For list (`client, proxy1, proxy2`): its first address."""
    return addresses.str.split_exact(",", 1).struct.field("field_0").str.strip_chars()


def _extract(lines: pl.DataFrame, regex: str, groups: list[str]) -> pl.DataFrame:
    """Eager, on the calling thread: the ingest already parses two chunks at once, and a lazy
    query's streaming engine only added threads (measured: 9% more wall time for ingest)."""
    extracted = lines.with_columns(pl.col("line").str.extract_groups(regex).alias("parts"))
    return extracted.unnest("parts").rename({str(i + 1): name for i, name in enumerate(groups)})


def _extract_head_and_last(lines: pl.DataFrame, head: str, groups: list[str]) -> pl.DataFrame:
    """What `_extract` gives for a format ending in a quoted value ("$http_user_agent"), cheaper.
    The regex engine's one-pass automaton costs about 40 instructions per byte it reads, and the
    last value (a user agent) is much of a line: it reads only the head, the pattern up to that
    value's opening quote. Where the head ends comes from a `replace` of the same pattern (an
    automaton with no groups, several times cheaper per byte), and the value is the rest up to
    its closing quote (a literal split). A line with no closing quote is rejected, as the whole
    pattern would reject it (measured: 7% less for extraction)."""
    rest = pl.col("line").str.replace(head, "").str.split_exact('"', 1)
    extracted = lines.with_columns(
        pl.col("line").str.extract_groups(head).alias("parts"), rest.alias("_rest")
    )
    names = {str(i + 1): name for i, name in enumerate(groups[:-1])}
    framed = extracted.unnest("parts").rename(names)
    closed = pl.col("_rest").struct.field("field_1").is_not_null()
    return framed.with_columns(
        pl.when(closed).then(pl.col(groups[0])).alias(groups[0]),
        pl.col("_rest").struct.field("field_0").alias(groups[-1]),
    ).drop("_rest")


def to_records(
    frame: pl.DataFrame,
    fields: dict[str, pl.Expr],
    source: int,
    unmatched_reason: str,
    *,
    stamped_at_end: bool,
) -> pl.DataFrame:
    """Shared tail of every text and JSON parser: typed canonical columns + `malformed`.

    `ts` is when the request started. A server that stamps a request when it ends (nginx,
    IIS: the line is written then) has its time moved back by the request's duration, when
    the line gives one: else a slow response would count as the user's think time, and its
    line would stand after requests that started later."""
    null = pl.lit(None, dtype=pl.String)
    method, path, query = _request_target(fields, null)
    time_expr = _epoch_seconds(fields)
    identity = pl.coalesce(
        _meaningful(fields.get("session", null)), _meaningful(fields.get("remote_user", null))
    )
    records = frame.select(
        pl.lit(source, dtype=pl.Int32).alias("source"),
        pl.col("line_no"),
        time_expr.alias("ts"),
        pl.coalesce(
            first_address(fields.get("forwarded_for", null)),
            fields.get("client_ip", null).str.strip_chars(),
        ).alias("client_ip"),
        fields.get("user_agent", null).alias("user_agent"),
        method.alias("method"),
        path.alias("path"),
        query.alias("query"),
        fields.get("status", null).cast(pl.Int32, strict=False).alias("status"),
        _milliseconds(fields).alias("request_time_ms"),
        identity.alias("identity"),
        _meaningful(fields.get("authorization", null)).alias("authorization"),
        _meaningful(fields.get("cookie", null)).alias("cookie"),
        pl.col("line").alias("_line") if "line" in frame.columns else null.alias("_line"),
        _first_present(fields).alias("_parsed"),
    )
    if stamped_at_end:  # on the parsed columns: the time's text is parsed once
        records = records.with_columns(
            pl.col("ts") - _time_taken(pl.col("ts"), pl.col("request_time_ms"))
        )
    records, no_method, dashes = _upper_case_methods(records)
    unreadable = (
        pl.when(pl.col("_parsed").is_null())
        .then(pl.lit(unmatched_reason))
        .when(pl.col("ts").is_null())
        .then(pl.lit("unreadable time"))
    )
    if dashes:  # tested on the rows only in a chunk that has one: the per-line path stays as is
        no_request = (pl.col("method") == "-") & pl.col("path").is_null()
        unreadable = unreadable.when(no_request).then(pl.lit(NO_REQUEST))
    malformed = (
        unreadable.when(no_method)
        .then(pl.lit("request line is not 'METHOD URL PROTOCOL'"))
        .when(pl.col("path").is_null())
        .then(pl.lit("no request URL"))
        .when(pl.col("status").is_null())
        .then(pl.lit("no HTTP status"))
        .otherwise(None)
    )
    return records.with_columns(malformed.alias("malformed")).drop("_line", "_parsed")


def _time_taken(logged_s: pl.Expr, milliseconds: pl.Expr) -> pl.Expr:
    """What to take off a time stamped at the request's end to get its start, in seconds. A
    time logged in whole seconds (`$time_local`, IIS) lost its fraction: the request ended at
    some moment in that second, and taking 12 ms off would put it before another request of
    the same second that the log wrote earlier. Such a time moves by whole seconds (3.2 s: 3)."""
    taken = milliseconds.fill_null(0.0).clip(lower_bound=0.0) / 1000
    return pl.when(logged_s == logged_s.floor()).then(taken.round()).otherwise(taken)


def marked(
    records: pl.DataFrame, rows: pl.Series | pl.Expr, reason: str = NOT_AN_ACCESS_RECORD
) -> pl.DataFrame:
    """`records` with `reason` as the `malformed` value of `rows` (a mask aligned with them, or a
    condition on their columns): what a reader knows of its lines beyond the shared tail, such
    as the server's own messages that are no access records."""
    return records.with_columns(
        pl.when(rows).then(pl.lit(reason)).otherwise(pl.col("malformed")).alias("malformed")
    )


def _upper_case_methods(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.Expr, bool]:
    """-> `records` with methods in upper case, the condition that a row has no valid method,
    and whether some row's method is `-` (a request logged as `"-"`). A chunk holds a handful
    of distinct methods: they are upper-cased and checked once each, and rows are only
    rewritten when one needs it (a pass per row to upper-case and another to check cost a
    fifth of building the records)."""
    distinct = records.select(pl.col("method").unique().drop_nulls()).to_series()
    upper = distinct.str.to_uppercase()
    valid = upper.str.contains(_METHOD)
    missing = pl.col("method").is_null()
    if valid.all() and distinct.equals(upper):
        return records, missing, False
    method = pl.col("method").replace_strict(distinct, upper, default=None)
    known = upper.filter(valid).implode()
    dashes = bool((distinct == "-").any())
    return records.with_columns(method), missing | ~pl.col("method").is_in(known), dashes


def _request_target(fields: dict[str, pl.Expr], null: pl.Expr) -> tuple[pl.Expr, ...]:
    """(method, path, query): as the text formats' regex splits `$request`, or from a whole
    request line ("GET /a?b HTTP/1.1") or URL that a JSON shape reads."""
    if "path" in fields:
        return fields.get("method", null), fields["path"], fields.get("query", null)
    method, url = fields.get("method", null), fields.get("url", null)
    if "request" in fields:
        parts = fields["request"].str.split_exact(" ", 2)
        method, url = parts.struct.field("field_0"), parts.struct.field("field_1")
    target = url.str.splitn("?", 2)  # the query is all after the first `?`, `?`s included
    return method, target.struct.field("field_0"), target.struct.field("field_1")


def _meaningful(value: pl.Expr) -> pl.Expr:
    """Empty, `-` and redacted values identify nobody: null them."""
    blank = (value == "") | (value == "-") | (value == "REDACTED") | (value == "[REDACTED]")
    return pl.when(blank).then(None).otherwise(value)  # (a replace per row costs 2.5x more)


def _first_present(fields: dict[str, pl.Expr]) -> pl.Expr:
    key = next(f for f in ("request", "url", "method", "path") if f in fields)
    return fields[key]


def _epoch_seconds(fields: dict[str, pl.Expr]) -> pl.Expr:
    if EPOCH_SECONDS in fields:
        return fields[EPOCH_SECONDS]
    if "time_local" in fields:
        parsed = fields["time_local"].str.strptime(
            pl.Datetime("us", "UTC"), "%d/%b/%Y:%H:%M:%S %z", strict=False
        )
        return parsed.dt.epoch("us") / 1e6
    if "time_iso" in fields:
        return iso_or_epoch_seconds(fields["time_iso"])
    return iso_or_epoch_seconds(fields.get("time_epoch", pl.lit(None, dtype=pl.String)))


def iso_or_epoch_seconds(text: pl.Expr) -> pl.Expr:
    """A time as logs write it -> epoch seconds: RFC 3339 (`Z` or offset), or a Unix epoch in
    s, ms, µs or ns, told apart by magnitude. `nan`, `inf` and overflowing numbers are no
    time."""
    number = text.cast(pl.Float64, strict=False)
    number = pl.when(number.is_finite()).then(number)
    scaled = (
        pl.when(number > 1e17)
        .then(number / 1e9)
        .when(number > 1e14)
        .then(number / 1e6)
        .when(number > 1e11)
        .then(number / 1e3)
        .otherwise(number)
    )
    iso = (
        text.str.replace(r"Z$", "+00:00")
        .str.replace(" ", "T", literal=True)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", strict=False)
    )
    return pl.coalesce(scaled, iso.dt.epoch("us") / 1e6)


def _milliseconds(fields: dict[str, pl.Expr]) -> pl.Expr:
    """`$request_time` (s, nginx), `$request_time_us` (µs, Apache's %D) or `$upstream_response_time` ("0.01, 0.02": summed), in ms."""
    if "request_time_ms" in fields:
        return fields["request_time_ms"].cast(pl.Float64, strict=False)
    if "request_time_s" in fields:
        return fields["request_time_s"].cast(pl.Float64, strict=False) * 1000
    if "request_time_us" in fields:
        return fields["request_time_us"].cast(pl.Float64, strict=False) / 1000
    if "request_time_ns" in fields:
        return fields["request_time_ns"].cast(pl.Float64, strict=False) / 1e6
    if "upstream_time_s" in fields:
        parts = fields["upstream_time_s"].str.replace_all(r"[:,]", " ").str.split(" ")
        total = parts.list.eval(pl.element().cast(pl.Float64, strict=False)).list.sum() * 1000
        return pl.when(total >= 0).then(total)  # an ALB's -1: the request reached no target
    return pl.lit(None, dtype=pl.Float64)


def _json_conventions(fields: dict[str, pl.Expr]) -> dict[str, pl.Expr]:
    """What JSON loggers write differently from nginx: a client address with its port
    (`203.0.113.9:51234`, `[2001:db8::1]:443`: a new port per connection would split a
    visitor's session), a duration with its unit (`"0.123s"`), an absolute URL
    (`https://api.example.com/a?b`)."""
    changed = {}
    if "client_ip" in fields:
        changed["client_ip"] = (
            fields["client_ip"]
            .str.replace(r"^(\d+\.\d+\.\d+\.\d+):\d+$", "$1")
            .str.replace(r"^\[([0-9A-Fa-f:.]+)\](?::\d+)?$", "$1")
        )
    if "request_time_s" in fields:
        changed["request_time_s"] = fields["request_time_s"].str.strip_suffix("s")
    if "url" in fields:
        changed["url"] = _origin_less(fields["url"])
    return changed


def _origin_less(url: pl.Expr) -> pl.Expr:
    """`https://api.example.com:443/a?b` -> `/a?b` (`/` when nothing follows the origin)."""
    rest = url.str.replace(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*", "")
    return (
        pl.when(rest.str.starts_with("?") | (rest == "")).then(pl.lit("/") + rest).otherwise(rest)
    )


def parse_json_lines(
    lines: pl.DataFrame,
    paths: dict[str, str],
    keep: str | None,
    source: int,
    *,
    stamped_at_end: bool,
) -> pl.DataFrame:
    """JSON lines (optionally behind a `container | ` prefix) -> records.

    `paths` maps canonical fields to JSONPath (`$.request.method`); `keep` is a JSONPath
    condition `path=value-prefix` selecting access records among other log lines (Caddy
    writes its startup messages to the same stream).
    """
    lines = lines.filter(pl.col("line").str.strip_chars().str.len_bytes() > 0)
    body = pl.col("line").str.slice(pl.col("line").str.find("{", literal=True))
    frame = lines.with_columns(body.alias("json"))
    fields = {name: pl.col("json").str.json_path_match(path) for name, path in paths.items()}
    fields.update(_json_conventions(fields))
    records = to_records(
        frame, fields, source, "not a JSON access record", stamped_at_end=stamped_at_end
    )
    if not keep:
        return records
    path, _, prefix = keep.partition("=")
    is_access = pl.col("json").str.json_path_match(path).str.starts_with(prefix).fill_null(False)
    is_object = pl.col("json").str.strip_chars_end().str.ends_with("}").fill_null(False)
    return marked(records, frame.select(~is_access & is_object).to_series())
