"""Text access-log formats, described as nginx `log_format` strings and compiled to regexes.

One mechanism serves the built-in formats and the user's own: `combined` and `common` are just
nginx format strings, and `--log-format '...'` compiles the same way. Each `$variable` becomes a
capture group feeding a canonical field (`client_ip`, `time_local`, `request`, ...); variables
we do not use are matched without a group. Groups are plain (unnamed, non-optional): the Rust
regex engine behind Polars runs such patterns several times faster, and each group it need not
fill saves more (`combined` with three groups fewer: 15-18% less extraction time).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace

from inferload.errors import ErrorKind, InferloadError

# nginx variable -> the canonical field a record is built from. Anything else ($body_bytes_sent,
# $http_referer, $host, ...) is matched without a group and dropped.
_CANONICAL = {
    "remote_addr": "client_ip",
    "binary_remote_addr": "client_ip",
    "http_x_forwarded_for": "forwarded_for",
    "remote_user": "remote_user",
    "time_local": "time_local",
    "time_iso8601": "time_iso",
    "msec": "time_epoch",
    "request_method": "method",
    "request_uri": "url",
    "uri": "url",
    "status": "status",
    "http_user_agent": "user_agent",
    "request_time": "request_time_s",
    "request_time_us": "request_time_us",  # not nginx: Apache's %D, for Apache formats
    "request_time_ms": "request_time_ms",  # not nginx: Traefik's duration, for its format
    "upstream_response_time": "upstream_time_s",
    "http_authorization": "authorization",
    "http_cookie": "cookie",
    "http_x_session_id": "session",
    "http_x_user_id": "session",
}
REQUEST_PARTS = ("method", "path", "query")  # the fields `$request` is read into
_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")
# What a variable may contain, as a group (`_matched_only` drops the group). The fast pattern
# takes nginx's escaping (a quote inside a value is written `\x22`); the tolerant one, tried
# only on lines the fast one rejects, also accepts Apache's `\"` and runs of spaces. Both are
# several times slower when used for every line.
_QUOTED_VALUE = r'([^"]*)'
_QUOTED_VALUE_TOLERANT = r'((?:[^"\\]|\\.)*)'
_UPSTREAM_LIST = r"([^\s,]+(?:(?:,| :) [^\s,]+)*)"
# Apache behind a proxy logs `%{X-Forwarded-For}i` where `%h` was: one address per hop
# (`203.0.113.7, 10.0.0.2`); the client is the first (see `parse.first_address`)
ADDRESS_LIST = r"([^\s,]+(?:, ?[^\s,]+)*)"
_BARE_VALUES_TOLERANT = {"remote_addr": ADDRESS_LIST, "binary_remote_addr": ADDRESS_LIST}
_BARE_VALUES = {
    "time_local": r"([^\]]+)",
    "server_name": r"([^\s:]+)",  # up to the `:` before Apache's `%p` in vhost_combined
    "server_port": r"(\d+)",
    "status": r"(\d{3})",
    "request_time": r"(\d+\.\d+|-)",  # nginx writes ms resolution: always a decimal point
    "request_time_us": r"(\d+)",  # whole microseconds
    "request_time_ms": r"(\d+(?:\.\d+)?)",
    # one value per upstream tried (`, `), and per internal redirect (` : `)
    "upstream_response_time": _UPSTREAM_LIST,
    "upstream_addr": _UPSTREAM_LIST,
    "upstream_status": _UPSTREAM_LIST,
    "upstream_response_length": _UPSTREAM_LIST,
    # ingress-nginx writes these in brackets, and the alternative one is mostly empty (`[]`)
    "proxy_upstream_name": r"([^\]]*)",
    "proxy_alternative_upstream_name": r"([^\]]*)",
}
_BARE_VALUE = r"(\S+)"


NGINX_DURATIONS = frozenset({"request_time_s", "upstream_time_s"})


@dataclass(frozen=True, slots=True)
class LineFormat:
    """A compiled text format: each regex has one group per entry of `fields`, in order."""

    name: str
    source: str
    regex: str
    tolerant_regex: str
    fields: tuple[str, ...]
    # `regex` up to the opening quote of its last value, when the format ends with a quoted
    # value it reads ("$http_user_agent"): that value is then taken by a split, see `parse`
    head_regex: str | None = None
    # the request line's target may be an absolute URL (`GET https://host:443/a HTTP/1.1`, as a
    # load balancer logs it): its origin is left out of the path
    absolute_targets: bool = False
    # detection takes the format only for lines it reads to their end: set when it ends with
    # `$request_time_us`, as an integer is Apache's `%D` when it ends the line, and anything
    # (`%I %O` bytes, a counter) when more follow
    whole_line: bool = False
    # the time is the request's end: nginx writes a line, and takes its time, when the response
    # is done, and only nginx's own durations ($request_time, $upstream_response_time) tell a
    # format is nginx's. Apache (%t with %D), Traefik, Envoy and Istio stamp the start.
    stamped_at_end: bool = False


def compile_log_format(source: str, name: str = "custom") -> LineFormat:
    """Compile an nginx `log_format` string (Apache users: write it in nginx variables). The
    whole directive as nginx.conf writes it is welcome too (see `format_string`)."""
    source = format_string(source)
    if "$" not in source:
        raise InferloadError(
            ErrorKind.INVALID,
            f"log format {source!r} has no $variables",
            hint="write it as nginx does, e.g. '$remote_addr - $remote_user [$time_local] \"$request\"'",
        )
    fast: list[str] = ["^"]
    tolerant: list[str] = ["^"]
    fields: list[str] = []
    position = 0
    for found in _VARIABLE.finditer(source):
        literal = source[position : found.start()]
        fast.append(_escape(literal))
        tolerant.append(_spaced_literal(literal))
        variable = found.group(1) or found.group(2)
        quoted = _open_quote(source, found.start())
        if variable == "request":
            capture = tuple(part not in fields for part in REQUEST_PARTS)
            fields.extend(part for part in REQUEST_PARTS if part not in fields)
            value = _request_value(quoted, False, capture)
            tolerant_value = _request_value(quoted, True, capture)
        else:
            if quoted:
                value, tolerant_value = _QUOTED_VALUE, _QUOTED_VALUE_TOLERANT
            else:
                value = _BARE_VALUES.get(variable, _BARE_VALUE)
                tolerant_value = _BARE_VALUES_TOLERANT.get(variable, value)
            field = _field_of(variable)
            if field is not None and field not in fields:
                fields.append(field)
            else:  # unused, or a repeat (the first occurrence is the one read)
                value, tolerant_value = _matched_only(value), _matched_only(tolerant_value)
        fast.append(value)
        tolerant.append(tolerant_value)
        position = found.end()
    ending = source[position:]
    # a bare value that ends the format ends where its field does, at a space or the line's end:
    # `$request_time_us` must not read the `0` of nginx's `0.123` (the pattern is anchored only
    # at the start, so lines may carry more fields)
    bare_at_end = not ending and not _open_quote(source, len(source))
    fast.append(_escape(ending) if not bare_at_end else r"(?:\s|$)")
    tolerant.append(_spaced_literal(ending) if not bare_at_end else r"(?:\s|$)")
    has_time = {"time_local", "time_iso", "time_epoch"} & set(fields)
    has_target = "path" in fields or "url" in fields
    if not has_time or not has_target:
        missing = (
            "a time ($time_local, $time_iso8601 or $msec)"
            if not has_time
            else "$request or $request_uri"
        )
        raise InferloadError(
            ErrorKind.INVALID,
            f"log format {source!r} lacks {missing}",
            hint="sessions need each request's time and URL",
        )
    ends_quoted = fast[-1] == '"' and fast[-2] == _QUOTED_VALUE  # a read value, then a quote
    return LineFormat(
        name=name,
        source=source,
        regex="".join(fast),
        tolerant_regex="".join(tolerant),
        fields=tuple(fields),
        head_regex="".join(fast[:-2]) if ends_quoted else None,
        whole_line=bare_at_end and variable == "request_time_us",
        stamped_at_end=bool(NGINX_DURATIONS & set(fields)),
    )


def format_string(text: str) -> str:
    """`log_format main '$remote_addr - ...' '"$http_user_agent"';`, pasted from nginx.conf
    over several lines, -> the format string nginx logs with: the quoted parts joined, the
    directive, its name, `escape=` and the `;` left out. Anything else is returned as is."""
    if not re.match(r"\s*log_format\s", text):
        return text
    try:
        words = shlex.split(text.strip().removesuffix(";"))
    except ValueError as exc:  # an unclosed quote
        raise InferloadError(
            ErrorKind.INVALID, f"--log-format: cannot read the log_format directive ({exc})"
        ) from None
    parts = [word for word in words[2:] if not word.startswith("escape=")]
    return "".join(parts).removesuffix(";")


def _request_value(quoted: bool, tolerant: bool, capture: tuple[bool, ...]) -> str:
    """`$request` ("GET /a?b=1 HTTP/1.1") as three groups: the method, the path up to the first
    `?`, the query after it. It splits as `str.split_exact(" ", 2)` and then `"?"` would (the
    path null without a space, the query null without a `?`), but inside the one pass the regex
    makes anyway: splitting the captured text afterwards cost half as much again as the whole
    extraction. `capture`: which of the three are groups (a part another variable already
    gives is matched only)."""
    if not quoted:
        token, rest = r"[^\s{}]", r"\S"
    elif tolerant:
        token, rest = r'(?:[^"\\{}]|\\.)', r'(?:[^"\\]|\\.)'
    else:
        token, rest = r'[^"{}]', r'[^"]'
    method, path, query = ("(" if captured else "(?:" for captured in capture)
    return (
        f"{method}{token.format(' ')}*)(?: {path}{token.format(' ?')}*)"
        f"(?:\\?{query}{token.format(' ')}*))?(?: {rest}*)?)?"
    )


def _matched_only(group: str) -> str:
    """`(...)` -> `(?:...)`: the outer group of a value pattern, not captured."""
    return f"(?:{group[1:]}"


def _field_of(variable: str) -> str | None:
    if variable.startswith("cookie_"):
        return "session"  # $cookie_sessionid: the session cookie's value
    return _CANONICAL.get(variable)


def _open_quote(source: str, index: int) -> bool:
    return source[:index].count('"') % 2 == 1


def _spaced_literal(literal: str) -> str:
    """A space in the format matches a run of spaces in the log (the tolerant pattern only)."""
    return r"\s+".join(_escape(part) for part in literal.split(" "))


def _escape(literal: str) -> str:
    """`re.escape` for Rust's regex syntax, which rejects escaped spaces."""
    return re.escape(literal).replace("\\ ", " ")


# Apache's `%l` (identd) is nearly always `-` but not always: `$ident` takes any token.
_CLF = '$remote_addr $ident $remote_user [$time_local] "$request" $status $body_bytes_sent'
_COMBINED = _CLF + ' "$http_referer" "$http_user_agent"'
# Apache's `vhost_combined` (Debian's other_vhosts_access.log): `%v:%p` before combined.
_VHOST = "$server_name:$server_port "
# The Kubernetes ingress-nginx controller's default (`upstreaminfo`): combined, then the request's
# length before its time (an integer that `combined_us` would take for Apache's `%D`).
_INGRESS_NGINX = (
    _COMBINED + " $request_length $request_time [$proxy_upstream_name]"
    " [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length"
    " $upstream_response_time $upstream_status $req_id"
)
# nginx's own default (`main` in the nginx.conf of nginx.org's packages and Docker image): combined
# with the X-Forwarded-For header, whose first address is the client behind a load balancer.
_NGINX_MAIN = _COMBINED + ' "$http_x_forwarded_for"'
# Traefik's default (its "Common Log Format"): combined, then the requests Traefik has received
# since it started (an integer `combined_us` would take for Apache's `%D`), the router, the
# server, and the duration in ms.
_TRAEFIK = _COMBINED + ' $traefik_requests "$traefik_router" "$traefik_server" ${request_time_ms}ms'
# Envoy's default text access log, and Istio's (its sidecars' and gateways' TEXT encoding): the
# start time, the request, the duration in ms; the client is the first X-Forwarded-For address,
# else (Istio) the downstream peer, its port left out.
_ENVOY = (
    '[$time_iso8601] "$request" $status $envoy_flags $envoy_bytes_received $body_bytes_sent'
    ' $request_time_ms $envoy_upstream_time "$http_x_forwarded_for" "$http_user_agent"'
    ' "$envoy_request_id" "$envoy_authority" "$envoy_upstream_host"'
)
_ISTIO = (
    '[$time_iso8601] "$request" $status $envoy_flags $envoy_details $envoy_termination'
    ' "$envoy_transport_failure" $envoy_bytes_received $body_bytes_sent $request_time_ms'
    ' $envoy_upstream_time "$http_x_forwarded_for" "$http_user_agent" "$envoy_request_id"'
    ' "$envoy_authority" "$envoy_upstream_host" $envoy_cluster $envoy_upstream_local'
    " $envoy_downstream_local $remote_addr:$remote_port"
)
# Detection tries these in order, so a format comes before any that reads a prefix of its lines:
# a trailing duration is `$request_time` when it has a decimal point (nginx writes `0.123`),
# Apache's `%D` (whole microseconds) when it has none and ends the line.
BUILTIN_FORMATS = {
    name: compile_log_format(source, name)
    for name, source in {
        "istio": _ISTIO,
        "envoy": _ENVOY,
        "ingress_nginx": _INGRESS_NGINX,
        "traefik": _TRAEFIK,
        "combined_us": _COMBINED + " $request_time_us",
        "combined_rt": _COMBINED + " $request_time",
        "nginx_main": _NGINX_MAIN,
        "combined": _COMBINED,
        "vhost_combined_us": _VHOST + _COMBINED + " $request_time_us",
        "vhost_combined_rt": _VHOST + _COMBINED + " $request_time",
        "vhost_combined": _VHOST + _COMBINED,
        "common": _CLF,
    }.items()
}
# AWS Application Load Balancer access logs: `%D`-like durations in seconds (-1 when the request
# never reached a target), the client with its port, the request line with an absolute URL
BUILTIN_FORMATS["alb"] = replace(
    compile_log_format(
        "$alb_type $time_iso8601 $alb_name $remote_addr:$remote_port $alb_target "
        "$alb_request_processing_time $upstream_response_time $alb_response_processing_time "
        '$status $alb_target_status $alb_received_bytes $body_bytes_sent "$request" '
        '"$http_user_agent"',
        "alb",
    ),
    absolute_targets=True,
)
