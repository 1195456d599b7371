"""Which operation logs a user in, and which log them out: read from names and summaries.

The login is what a session calls before anything secured, so a wrong pick costs a whole run:
Overseerr's `POST /auth/local` ("Sign in using a local account") went unnoticed, as neither its
path nor its generated id says "login", and every session then called the API without signing
in; a log counting calls to `POST /auth/*` picked `POST /auth/logout` when users logged out
more often than in. A login is named so by its id or path (`login`, `signin`), else by its
summary ("Sign in", "Authenticate"), else it issues a token or a session (`POST /oauth/token`,
`POST /sessions`). What ends, registers or resets an account is never one, however it is named.
"""

from __future__ import annotations

import re

from inferload.spec.model import Catalog, Operation, resolve_schema

_SIGNS_IN = re.compile(r"(?i)(log[-_ ]?in|sign[-_ ]?in|authenticat)")
_ISSUES_A_SESSION = re.compile(r"(?i)(token|session|auth)")
_NOT_A_LOGIN = re.compile(
    r"(?i)(log[-_ ]?(out|off)|sign[-_ ]?(out|off|up)|regist|reset|forgot|recover|refresh|revoke|"
    r"verif|invite|(change|update|set|new)[-_ ]?password|/password)"
)
_LOGS_OUT = re.compile(r"(?i)(log[-_ ]?(out|off)|sign[-_ ]?(out|off))")
_PASSWORD = re.compile(r"(?i)^(password|passwd|pwd|pass)$")


def login_rank(operation_id: str, method: str, path: str, summary: str = "") -> int | None:
    """How surely the operation logs a user in: 0 named so, 1 summarised so, 2 issuing a token
    or session; None when it is no login. Named by its id and path (the only names a log has),
    or its summary."""
    named = f"{operation_id} {path}"
    if method not in ("POST", "GET") or _NOT_A_LOGIN.search(named):
        return None
    if _SIGNS_IN.search(named):
        return 0
    if _SIGNS_IN.search(summary) and not _NOT_A_LOGIN.search(summary):
        return 1
    if method == "POST" and _ISSUES_A_SESSION.search(named):
        return 2
    return None


def logs_out(operation_id: str, path: str) -> bool:
    return bool(_LOGS_OUT.search(f"{operation_id} {path}"))


def spec_login(catalog: Catalog, operations: list[Operation]) -> Operation | None:
    """The spec's login among `operations`: one callable without credentials, the surest by
    `login_rank`, then one that takes a password, a POST, by path."""
    ranked = []
    for op in operations:
        rank = login_rank(op.operation_id, op.method, op.path, op.summary)
        if rank is not None and not any(op.security):
            ranked.append((rank, not takes_password(catalog, op), op.method != "POST", op.path, op))
    return min(ranked, key=lambda entry: entry[:4])[-1] if ranked else None


def takes_password(catalog: Catalog, operation: Operation) -> bool:
    """A body with a password among its top-level properties (a `$ref` followed)."""
    if operation.request_body is None:
        return False
    for media in operation.request_body.content:
        schema = resolve_schema(catalog, media.schema)
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if isinstance(properties, dict) and any(_PASSWORD.match(str(k)) for k in properties):
            return True
    return False
