"""Access-log lines inside a transport's envelope: syslog, Kubernetes' container log files,
`kubectl logs --timestamps`, docker compose, Docker's json-file driver.

The access log a team can get at is often not the file nginx wrote: nginx sends it to syslog
(`access_log syslog:server=...`), an ingress controller's log is read from a node's
`/var/log/containers/` (CRI: a time, the stream and a tag before each line) or with `kubectl logs
--timestamps`, and Docker's json-file driver wraps each line in a JSON object. The record inside
is still an access-log line, with its own time. Detection tries an envelope when no format reads
the lines as they are (Docker's JSON wrapper is told by its keys, first); the parser then reads
what the envelope holds. In a syslog stream other programs write too: those messages, with no
request line in them, are dropped as not an access record rather than counted as malformed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from inferload.logs.parse import marked

_FITS = 0.6  # the envelope must hold this share of the sample's lines
_ISO_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})"
_REQUEST_LINE = "HTTP/"  # what every access record of a text format holds, and log chatter not


@dataclass(frozen=True, slots=True)
class Envelope:
    """A prefix before each line (a pattern in Python's and Rust's regex syntax alike), or a
    JSON object holding the line under `json_key`, told by its having `json_marker` too."""

    name: str
    prefix: str | None = None
    json_key: str | None = None
    json_marker: str | None = None

    def opened_sample(self, sample: list[str]) -> list[str] | None:
        """The sample's lines as the envelope holds them; None unless it holds most of them."""
        if self.prefix is not None:
            pattern = re.compile(self.prefix)
            inner = [pattern.sub("", line, count=1) for line in sample if pattern.match(line)]
        else:
            inner = [text for line in sample if (text := self._json_text(line)) is not None]
        return inner if sample and len(inner) >= _FITS * len(sample) else None

    def open(self, lines: pl.DataFrame) -> pl.DataFrame:
        """(line_no, line) -> the same with each line's content; a line the envelope does not
        hold is kept as it is (and then read, or reported, like any other)."""
        line = pl.col("line")
        if self.prefix is not None:
            return lines.with_columns(line.str.replace(self.prefix, ""))
        content = line.str.json_path_match(f"$.{self.json_key}").str.strip_chars_end("\r\n")
        return lines.with_columns(pl.coalesce(content, line).alias("line"))

    def _json_text(self, line: str) -> str | None:
        try:
            record = json.loads(line)
        except ValueError:
            return None
        if not isinstance(record, dict) or self.json_marker not in record:
            return None
        text = record.get(self.json_key)
        return text.rstrip("\r\n") if isinstance(text, str) else None


# Docker's json-file driver (`/var/lib/docker/containers/*/*-json.log`): {"log": "...\n", ...}
DOCKER_JSON = Envelope("docker json-file", json_key="log", json_marker="stream")
# Tried in this order, each only when no format reads the lines as they are.
PREFIX_ENVELOPES = (
    # RFC 3164 as rsyslog and syslog-ng write it (`Dec  6 21:00:01 web1 nginx: `), with a
    # priority when received raw, or with rsyslog's high-precision time
    Envelope(
        "syslog",
        r"^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|" + _ISO_TIME + r")"
        r" \S+ [^\s:\[]+(?:\[\d+\])?: ",
    ),
    # RFC 5424: <PRI>1 TIME HOST APP PROCID MSGID STRUCTURED-DATA
    Envelope(
        "syslog (RFC 5424)", r"^<\d{1,3}>1 \S+ \S+ \S+ \S+ \S+ (?:-|(?:\[(?:[^\]\\]|\\.)*\])+) "
    ),
    # Kubernetes nodes' container logs (CRI): TIME STREAM F|P
    Envelope("Kubernetes container log", r"^" + _ISO_TIME + r" (?:stdout|stderr) [FP] "),
    Envelope("timestamped (kubectl/docker logs)", r"^" + _ISO_TIME + " "),
    Envelope("docker compose", r"^[\w.-]+\s*\| "),
)


def opened(sample: list[str], envelope: Envelope | None) -> list[str]:
    if envelope is None:
        return sample
    inner = envelope.opened_sample(sample)
    assert inner is not None  # what detection found
    return inner


def parse_within(
    envelope: Envelope, parse: Callable[[pl.DataFrame], pl.DataFrame], text: bool
) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """`parse` applied to what the envelope holds. For a text format, a line that is not read
    and holds no request line is another program's message: not an access record."""

    def parse_opened(lines: pl.DataFrame) -> pl.DataFrame:
        contents = envelope.open(lines)
        records = parse(contents)
        if not text:
            return records
        unread = records.filter(pl.col("malformed").is_not_null()).get_column("line_no")
        if unread.is_empty():  # most chunks: no line is looked at again
            return records
        chatter = contents.filter(
            pl.col("line_no").is_in(unread.implode())
            & ~pl.col("line").str.contains(_REQUEST_LINE, literal=True)
        ).get_column("line_no")
        return marked(records, pl.col("line_no").is_in(chatter.implode()))

    return parse_opened
