"""Tell a log's format from its first lines, and explain a mismatch with the one asked for."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from inferload.errors import ErrorKind, InferloadError, Location
from inferload.logs.envelope import DOCKER_JSON, PREFIX_ENVELOPES, Envelope
from inferload.logs.formats import BUILTIN_FORMATS, LineFormat
from inferload.logs.haproxy import looks_like_haproxy
from inferload.logs.parse import FIELDS_READ
from inferload.logs.w3c import STAMPED_AT_END as W3C_STAMPED_AT_END
from inferload.logs.w3c import looks_like_w3c

SAMPLE_LINES = 200
# formats told by their own shape, each with its own reader (the others are text formats)
SHAPED_FORMATS = ("jsonl", "har", "w3c", "haproxy")
_MATCH_SHARE = 0.6  # a text format must read this share of the sample


@dataclass(frozen=True, slots=True)
class JsonShape:
    """Where a JSON-lines flavour keeps each canonical field (JSONPath), and which lines count."""

    name: str
    paths: dict[str, str]
    keep: str | None = None

    @property
    def stamped_at_end(self) -> bool:
        """Whether the time is the request's end. A logger writes an access record when the
        response is done, and most take that moment as the record's time (nginx's JSON logs,
        Caddy, app middleware); a time whose key names the start (`StartUTC`, `start_time`,
        `EdgeStartTimestamp`, `requestReceived`) is the start."""
        time_path = next((self.paths[f] for f in _TIME_FIELDS if f in self.paths), "")
        return _START_KEY.search(time_path) is None


_TIME_FIELDS = ("time_iso", "time_epoch", "time_local")
_START_KEY = re.compile(r"start|begin|receiv|creat", re.IGNORECASE)
CADDY = JsonShape(
    "caddy",
    {
        "time_epoch": "$.ts",
        "client_ip": "$.request.client_ip",
        "method": "$.request.method",
        "url": "$.request.uri",
        "status": "$.status",
        "user_agent": "$.request.headers['User-Agent'][0]",
        "request_time_s": "$.duration",
        "session": "$.user_id",
        "authorization": "$.request.headers.Authorization[0]",
        "cookie": "$.request.headers.Cookie[0]",
    },
    keep="$.logger=http.log.access",
)
CLOUDFLARE = JsonShape(
    "cloudflare",
    {
        "time_iso": "$.EdgeStartTimestamp",
        "client_ip": "$.ClientIP",
        "method": "$.ClientRequestMethod",
        "url": "$.ClientRequestURI",
        "status": "$.EdgeResponseStatus",
        "user_agent": "$.ClientRequestUserAgent",
        "request_time_ms": "$.OriginResponseDurationMs",
    },
)
TRAEFIK = JsonShape(
    "traefik",
    {
        "time_iso": "$.StartUTC",
        "client_ip": "$.ClientHost",
        "method": "$.RequestMethod",
        "url": "$.RequestPath",
        "status": "$.DownstreamStatus",
        "user_agent": "$['request_User-Agent']",
        "request_time_ns": "$.Duration",
        "authorization": "$.request_Authorization",
        "cookie": "$.request_Cookie",
    },
)
# Envoy's and Istio's JSON access log (their documented default keys)
ENVOY = JsonShape(
    "envoy",
    {
        "time_iso": "$.start_time",
        "client_ip": "$.downstream_remote_address",
        "forwarded_for": "$.x_forwarded_for",
        "method": "$.method",
        "url": "$.path",
        "status": "$.response_code",
        "user_agent": "$.user_agent",
        "request_time_ms": "$.duration",
    },
)
# Google Cloud (load balancer, Cloud Run) request logs: a LogEntry with an `httpRequest`
GOOGLE_CLOUD = JsonShape(
    "google-cloud",
    {
        "time_iso": "$.timestamp",
        "client_ip": "$.httpRequest.remoteIp",
        "method": "$.httpRequest.requestMethod",
        "url": "$.httpRequest.requestUrl",
        "status": "$.httpRequest.status",
        "user_agent": "$.httpRequest.userAgent",
        "request_time_s": "$.httpRequest.latency",
    },
    keep="$.httpRequest.requestMethod=",
)
# Common key names of hand-rolled JSON access logs, first match wins per field.
_GENERIC_KEYS = {
    "time_iso": ("time", "timestamp", "@timestamp", "ts", "date", "time_iso8601"),
    "time_local": ("time_local",),  # nginx's `$time_local` in an `escape=json` log: CLF's form
    "client_ip": ("remote_addr", "client_ip", "clientip", "ip", "remote_ip", "x_forwarded_for"),
    "method": ("method", "request_method", "verb", "http_method"),
    "url": ("request_uri", "uri", "url", "path"),
    "request": ("request",),
    "status": ("status", "status_code", "response_status", "code"),
    "user_agent": ("http_user_agent", "user_agent", "useragent", "ua", "agent"),
    "request_time_s": ("request_time", "duration", "response_time", "elapsed"),
    "session": ("session_id", "session", "user_id", "userid", "user"),
    "authorization": ("authorization", "http_authorization"),
    "cookie": ("cookie", "http_cookie"),
}


@dataclass(frozen=True, slots=True)
class Detected:
    kind: str  # "text", "jsonl", "har", "w3c" or "haproxy"
    text: LineFormat | None = None
    json: JsonShape | None = None
    envelope: Envelope | None = None  # what each line is wrapped in (syslog, ...), if anything

    @property
    def stamped_at_end(self) -> bool:
        """Whether its times are each request's end."""
        if self.kind == "w3c":
            return W3C_STAMPED_AT_END
        return bool(self.text and self.text.stamped_at_end) or bool(
            self.json and self.json.stamped_at_end
        )


def detect(lines: list[str], name: str) -> Detected:
    """Pick the format that reads the sample, inside an envelope if it must (see `envelope`);
    a clear error when none does."""
    sample = _nonblank(lines, name)
    wrapped = DOCKER_JSON.opened_sample(sample)
    if wrapped:
        found = _detect_bare(wrapped, name)
        if found is None:
            raise _unrecognised(wrapped, name)
        return replace(found, envelope=DOCKER_JSON)
    found = _detect_bare(sample, name)
    if found is not None:
        return found
    for envelope in PREFIX_ENVELOPES:
        inner = envelope.opened_sample(sample)
        found = _detect_bare(inner, name) if inner else None
        if found is not None and found.kind != "har":
            return replace(found, envelope=envelope)
    raise _unrecognised(sample, name)


def _detect_bare(sample: list[str], name: str) -> Detected | None:
    looks = looks_like(sample)
    if looks == "jsonl":
        return Detected("jsonl", json=json_shape(sample, name))
    if looks in SHAPED_FORMATS:
        return Detected(looks)
    for line_format in BUILTIN_FORMATS.values():
        if share_matching(sample, line_format, line_format.whole_line) >= _MATCH_SHARE:
            return Detected("text", text=line_format)
    return None


def _unrecognised(sample: list[str], name: str) -> InferloadError:
    return InferloadError(
        ErrorKind.INVALID,
        f"unrecognised log format (first line: {sample[0][:80]!r})",
        location=Location(name, line=1),
        hint="pass --format (combined, common, vhost_combined, ingress_nginx, alb, haproxy, w3c, jsonl, har; all in --help), or --log-format with your nginx log_format",
    )


def _nonblank(lines: list[str], name: str) -> list[str]:
    """The sample's lines that hold something; a clear error for an empty or binary file (the
    reader replaces invalid UTF-8 with U+FFFD, and no log writes NUL bytes)."""
    sample = [line for line in lines if line.strip()][:SAMPLE_LINES]
    if not sample:
        raise InferloadError(
            ErrorKind.INVALID, "empty log: no lines to read", location=Location(name)
        )
    binary = sum(1 for line in sample if "\x00" in line or "\ufffd" in line)
    if binary >= _MATCH_SHARE * len(sample):
        if _utf16(sample):
            raise InferloadError(
                ErrorKind.INVALID,
                "UTF-16 text, not UTF-8 (as Windows PowerShell's `>` writes a file)",
                location=Location(name, line=1),
                hint="convert it first: iconv -f UTF-16 -t UTF-8 FILE > FILE.log, or in "
                "PowerShell Get-Content FILE | Out-File -Encoding utf8 FILE.log",
            )
        raise InferloadError(
            ErrorKind.INVALID,
            "binary content, not a text log",
            location=Location(name, line=1),
            hint="compressed other than by gzip, bzip2 or xz? Decompress it and pass the text",
        )
    return sample


def _utf16(sample: list[str]) -> bool:
    """Text read as UTF-8 that was UTF-16: every other character a NUL (ASCII in UTF-16),
    the rest printable."""
    text = "".join(sample)
    nuls = text.count("\x00")
    rest = "".join(text.split()).replace("\x00", "").replace("\ufffd", "")  # CRLF, tabs too
    return nuls >= 0.4 * len(text) and rest.isprintable()


def looks_like(sample: list[str]) -> str:
    first = sample[0].strip()
    if first.startswith("{") or first.startswith("["):
        try:
            json.loads(first)
        except ValueError:
            if '"log"' in "".join(sample[:5]) or first in ("{", "["):
                return "har"  # a JSON document over several lines
            if first.startswith("{"):
                return "jsonl"
            # a text line that opens with a bracket (Envoy's `[2016-04-15T20:17:00.310Z] ...`)
        else:
            return "jsonl"
    if re.match(r"^[\w.-]+\s*\|\s*\{", first):  # docker compose: `service | {...}`
        return "jsonl"
    if looks_like_w3c(sample):
        return "w3c"
    if looks_like_haproxy(sample):
        return "haproxy"
    return "text"


def share_matching(sample: list[str], line_format: LineFormat, whole_line: bool = False) -> float:
    """The share of the sample the format reads: from the start of each line, or (`whole_line`,
    as detection asks for some formats) to its end."""
    pattern = re.compile(line_format.tolerant_regex)
    if whole_line:
        return sum(1 for line in sample if pattern.fullmatch(line.rstrip())) / len(sample)
    return sum(1 for line in sample if pattern.match(line)) / len(sample)


def check_requested(
    sample: list[str], requested: str, line_format: LineFormat | None, name: str
) -> Envelope | None:
    """The user named a format: -> the envelope its lines are in, if any (see `detect`); if
    the format reads nothing, say what the file looks like."""
    sample = _nonblank(sample, name)
    wrapped = DOCKER_JSON.opened_sample(sample)
    if wrapped and _reads(wrapped, requested, line_format):
        return DOCKER_JSON
    if _reads(sample, requested, line_format):
        return None
    if requested != "har":
        for envelope in PREFIX_ENVELOPES:
            inner = envelope.opened_sample(sample)
            if inner and _reads(inner, requested, line_format):
                return envelope
    raise _mismatch(name, requested, looks_like(sample), _reading_format(sample, name))


def richer_format_note(sample: list[str], requested: str, name: str) -> str | None:
    """A note naming the built-in format detection would pick, when the user asked for another
    that reads the lines too (`common` on combined lines reads them, less their referer and
    agent, by which bots are told apart; `combined` on lines that also log durations)."""
    found = _reading_format(sample, name)
    if found is None or found == requested:
        return None
    return (
        f"{name}: the lines read as {found}, which reads more of them than {requested} "
        "(leave --format out to read them so)"
    )


def _reading_format(sample: list[str], name: str) -> str | None:
    """The built-in text format that reads the sample, for the hint (None: none does)."""
    try:
        found = _detect_bare(sample, name)
    except InferloadError:
        return None
    return found.text.name if found is not None and found.text is not None else None


def _reads(sample: list[str], requested: str, line_format: LineFormat | None) -> bool:
    if requested in SHAPED_FORMATS:
        return looks_like(sample) == requested
    assert line_format is not None
    return share_matching(sample, line_format) > 0


def _mismatch(name: str, requested: str, looks: str, reading: str | None) -> InferloadError:
    hints = {
        "jsonl": "looks like JSON lines; try --format jsonl",
        "har": "looks like a HAR file; try --format har",
        "w3c": "looks like a W3C extended log (IIS); try --format w3c",
        "haproxy": "looks like an HAProxy log; try --format haproxy",
        "text": "looks like a text access log; try --format combined, common or --log-format",
    }
    hint = hints[looks]
    if reading is not None and reading in BUILTIN_FORMATS:
        hint = f"the lines read as {reading}: try --format {reading}, or leave --format out"
    return InferloadError(
        ErrorKind.INVALID,
        f"no line reads as {requested}",
        location=Location(name, line=1),
        hint=hint,
    )


def json_shape(sample: list[str], name: str) -> JsonShape:
    """Caddy and Cloudflare by their keys; otherwise common key names of the first record
    that has a time and a URL (other lines, such as a server's startup messages, are skipped)."""
    records = []
    for line in sample:
        try:
            record = json.loads(line[line.find("{") :])
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    if not records:
        raise InferloadError(
            ErrorKind.INVALID, "no JSON record in the first lines", location=Location(name)
        )
    if any(str(r.get("logger", "")).startswith("http.log.access") for r in records):
        return CADDY
    if any("ClientRequestURI" in r or "EdgeStartTimestamp" in r for r in records):
        return CLOUDFLARE
    if any("RequestPath" in r and "DownstreamStatus" in r for r in records):
        return TRAEFIK
    if any("response_code" in r and "start_time" in r for r in records):
        return ENVOY
    if any(
        isinstance(r.get("httpRequest"), dict) and "requestUrl" in r["httpRequest"] for r in records
    ):
        return GOOGLE_CLOUD
    for record in records:
        paths = {}
        for field, keys in _GENERIC_KEYS.items():
            key = next((k for k in keys if k in record), None)
            if key is not None:
                paths[field] = f"$.{key}" if key.isidentifier() else f"$['{key}']"
        has_time = "time_iso" in paths or "time_local" in paths
        if has_time and ("url" in paths or "request" in paths):
            return JsonShape("json", paths)
    raise InferloadError(
        ErrorKind.INVALID,
        f"JSON log records lack a time or URL field (keys: {', '.join(sorted(records[0])[:12])})",
        location=Location(name),
        hint="map them with --field time=KEY --field url=KEY (dotted keys for nesting)",
    )


_FIELD_ALIASES = {
    "time": "time_iso",
    "ip": "client_ip",
    "ua": "user_agent",
    "duration_s": "request_time_s",
    "duration_ms": "request_time_ms",
    "duration_us": "request_time_us",
    "duration_ns": "request_time_ns",
    "user": "session",
    "session_id": "session",
}


def shape_from_fields(mapping: dict[str, str]) -> JsonShape:
    """`--field time=req.ts --field url=req.uri` -> a JSON shape (`time` means any time form).
    A name no record reads is refused: silently ignored, a typo would cost the user a field."""
    paths = {}
    for field, key in mapping.items():
        canonical = _FIELD_ALIASES.get(field, field)
        if canonical not in FIELDS_READ:
            raise InferloadError(
                ErrorKind.INVALID,
                f"--field {field}={key}: no field is called {field!r}",
                hint=f"one of {', '.join(sorted(_FIELD_ALIASES.keys() | FIELDS_READ))}",
            )
        paths[canonical] = "$." + ".".join(
            part if part.isidentifier() else f"['{part}']" for part in key.split(".")
        ).replace(".[", "[")
    return JsonShape("json", paths)
