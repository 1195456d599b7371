"""Nothing personal leaves the ingest stage in clear text.

- Client keys (user ids, Authorization headers, session cookies, IP + agent) become salted
  BLAKE2 hashes; the salt is random per run unless the caller fixes it, and is never stored.
- Query strings keep their shape and harmless values (page sizes, enums); values of sensitive
  keys, emails, IPs, JWTs and long tokens become placeholders.
- Path parameter values go through `scrub_value` before they can reach a data pool.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re

import polars as pl

SESSION_COOKIES = (
    "session", "sessionid", "session_id", "sid", "connect.sid", "jsessionid", "phpsessid",
    "_session_id", "laravel_session", "asp.net_sessionid", "auth_token", "token",
)  # fmt: skip
_SENSITIVE_KEY = (
    r"(?i)((?:^|&)[^=&]*(?:token|key|secret|passw|pwd|auth|session|sig|signature|code|e-?mail|"
    r"phone|ssn|card|iban|otp)[^=&]*=)[^&]*"
)
_EMAIL = r"[^&=\s/]+(?:@|%40)[^&=\s/]+\.[A-Za-z]{2,}"
_IPV4 = r"\b\d{1,3}(?:\.\d{1,3}){3}\b"
_JWT = r"eyJ[\w-]+\.[\w-]+\.[\w-]*"
_LONG_TOKEN = r"(=)[A-Za-z0-9_\-.~%+/]{32,}"

_EMAIL_RE = re.compile(_EMAIL)
_IPV4_RE = re.compile(_IPV4)
_JWT_RE = re.compile(_JWT)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-.~+/=]{32,}$")
PLAIN_ID = r"[A-Za-z0-9_\-]{1,31}"  # a short plain id or slug: kept as it is
_PLAIN_ID = re.compile(PLAIN_ID)
# What a scrubbed path value becomes: a marker, no value any request could use again
SCRUBBED_VALUES = frozenset({"<token>", "<email>", "<ip>"})
# A segment logged as its route's placeholder (`/pets/{petId}`: API Gateway's
# `$context.resourcePath`, frameworks that log the route): the log holds no value for it
_ROUTE_PLACEHOLDER = re.compile(r"\{[^{}/]*\}")


def is_route_placeholder(value: str) -> bool:
    return bool(_ROUTE_PLACEHOLDER.fullmatch(value))


def scrub_query(query: pl.Expr) -> pl.Expr:
    """A query string with every sensitive value replaced by a placeholder."""
    return (
        query.str.replace_all(_SENSITIVE_KEY, "${1}<redacted>")
        .str.replace_all(_JWT, "<token>")
        .str.replace_all(_EMAIL, "<email>")
        .str.replace_all(_IPV4, "<ip>")
        .str.replace_all(_LONG_TOKEN, "${1}<token>")
    )


def scrub_queries(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its `query` column scrubbed. Logs repeat the same query strings endlessly,
    so the five regular expressions run over the distinct ones only, joined back."""
    distinct = frame.select(pl.col("query").unique().drop_nulls())
    scrubbed = distinct.with_columns(scrub_query(pl.col("query")).alias("_scrubbed"))
    return (
        frame.join(scrubbed, on="query", how="left")
        .with_columns(pl.col("_scrubbed").alias("query"))
        .drop("_scrubbed")
    )


def scrub_value(value: str) -> str:
    """One path-parameter value: ids and slugs stay (data pools need them); PII does not."""
    if _PLAIN_ID.fullmatch(value):
        return value  # a short plain id or slug: the common case
    value = value.replace("\x1e", " ").replace("\x1f", " ")
    if _JWT_RE.search(value):
        return "<token>"
    if _EMAIL_RE.search(value) or "@" in value:
        return "<email>"
    if _IPV4_RE.search(value):
        return "<ip>"
    if _TOKEN_RE.match(value) and not _is_uuid_or_hex(value):
        return "<token>"
    return value


def _is_uuid_or_hex(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F-]{32,40}", value))


def session_cookie(cookie: pl.Expr) -> pl.Expr:
    """The value of the first well-known session cookie in a Cookie header, else null."""
    names = "|".join(re.escape(name) for name in SESSION_COOKIES)
    return cookie.str.extract(rf"(?i)(?:^|;\s*)(?:{names})=([^;]+)", 1)


def _client_key_kinds() -> tuple[tuple[pl.Expr, ...], ...]:
    """What identifies a client, most specific first, as its parts: an explicit user or
    session id, the Authorization header, a session cookie, else IP + user agent. A kind
    applies when all its parts are present."""
    return (
        (pl.col("identity"),),
        (pl.col("authorization"),),
        (session_cookie(pl.col("cookie")),),
        (pl.col("client_ip").fill_null("-"), pl.col("user_agent").fill_null("-")),
    )


def parts_hash(parts: tuple[pl.Expr, ...], seed: int = 0) -> pl.Expr:
    """Per row, one 64-bit native Polars hash of several parts: each hashed with a seed of its
    own (`seed` + place, so that swapped parts differ), combined by xor. No text is built."""
    return functools.reduce(
        operator.xor, (part.hash(seed + place) for place, part in enumerate(parts))
    )


def client_fingerprint() -> pl.Expr:
    """Per row, a 64-bit hash of the parts of the first kind of key that applies, each part
    hashed with a seed of its own (kind and place, so that kinds never mix): native Polars
    hashes, no text built per row. It never leaves the ingest: `hash_clients` keys it."""
    hashed = []
    for kind, parts in enumerate(_client_key_kinds()):
        present = pl.all_horizontal(part.is_not_null() for part in parts)
        hashed.append(pl.when(present).then(parts_hash(parts, seed=8 * kind)))
    return pl.coalesce(hashed)


def hash_clients(fingerprints: pl.Series, salt: bytes) -> pl.DataFrame:
    """Client fingerprints -> (fingerprint, client) per distinct one: its salted, keyed
    BLAKE2b, 64 bits as an unsigned integer (sessions sort by client, and integers sort far
    faster than text; `Session.client` shows it as 16 hex digits). Without the salt nothing
    leads back from a client to its key; with it, as with any salted hash of a key, only
    guessing the key's parts does.

    Two keys with one fingerprint share a client: two of the log's clients colliding in 64
    bits, the same odds, already accepted, as two sharing the 64-bit BLAKE2b itself.
    Hashed per chunk and not memoised, so memory does not grow with the clients in the log
    (the key's text used to be hashed instead: building it cost as much again).
    """
    distinct = fingerprints.unique()
    keyed = hashlib.blake2b(key=salt[:64], digest_size=8)  # copied per key: keying costs more
    fresh = keyed.copy

    def digest(fingerprint: int) -> bytes:
        hashed = fresh()
        hashed.update(fingerprint.to_bytes(8, "big"))
        return hashed.digest()

    digests = pl.Series(list(map(digest, distinct.to_list())), dtype=pl.Binary)
    client = digests.bin.reinterpret(dtype=pl.UInt64, endianness="big")
    return pl.DataFrame({"fingerprint": distinct, "client": client})
