"""Matching by path shape must give exactly what the router gives path by path."""

from __future__ import annotations

import random
import string
from pathlib import Path

import polars as pl

from inferload.logs.model import encode_params
from inferload.logs.routing import OperationMatcher
from inferload.logs.scrub import scrub_value
from inferload.spec import build_catalog
from inferload.spec.matcher import Match, Router
from tests.spec.builders import get, openapi3, path_param, write_spec

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def per_path(router: Router, method: str, path: str) -> tuple[str | None, str, str | None]:
    result = router.match(method, path)
    if isinstance(result, Match):
        return (
            result.operation_id,
            encode_params((n, scrub_value(v)) for n, v in result.params),
            None,
        )
    return None, "", result.reason


def assert_same_as_router(router: Router, requests: list[tuple[str, str]]) -> int:
    matcher = OperationMatcher(router)
    # two chunks, so shapes learnt in the first are reused in the second
    half = len(requests) // 2
    rows = []
    for chunk in (requests[:half], requests[half:]):
        frame = pl.DataFrame(chunk, schema={"method": pl.String, "path": pl.String}, orient="row")
        rows += matcher.match_distinct(frame).iter_rows()
    assert {(m, p) for m, p, *_ in rows} == set(requests)
    for method, path, operation_id, params, reason in rows:
        assert (operation_id, params, reason) == per_path(router, method, path), (method, path)
    return sum(1 for row in rows if row[2] is not None)


def test_shapes_agree_with_the_router_on_tricky_paths(tmp_path: Path) -> None:
    item = {"parameters": [path_param("id")]}
    spec = openapi3(
        {
            "/users/me": {"get": get("me")},
            "/users/{id}": {**item, "get": get("user"), "delete": get("deleteUser")},
            "/users/{id}/orders/{order}": {
                "parameters": [path_param("id"), path_param("order")],
                "get": get("order"),
            },
            "/orders/search": {"get": get("searchOrders")},
        },
        servers=[{"url": "https://api.example.com/api/v2"}],
    )
    router = Router(build_catalog(write_spec(tmp_path, spec)))
    assert router.decides_by_shape
    requests = [
        ("GET", "/users/me"), ("GET", "/users/42"), ("GET", "/users/43/"), ("DELETE", "/users/7"),
        ("POST", "/users/7"), ("GET", "/users/search"), ("GET", "/users/orders"),
        ("GET", "/users/me/orders/9"), ("GET", "/users/5/orders/me"), ("GET", "/api/v2/users/5"),
        ("GET", "/api/v2/users/me"), ("GET", "/v2/users/5"), ("GET", "/users/a%20b"),
        ("GET", "/users//x"), ("GET", "/"), ("HEAD", "/users/9"), ("GET", "/orders/search"),
        ("GET", "/users/jane@example.com"), ("GET", "/users/eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl"),
        ("GET", "https://api.example.com/users/5"), ("GET", "/users/5#frag"), ("GET", "/nowhere/1"),
        ("GET", "/users/" + "x" * 40), ("GET", "/users/550e8400-e29b-41d4-a716-446655440000"),
    ]  # fmt: skip
    assert assert_same_as_router(router, requests) >= 10


def test_shapes_agree_with_the_router_on_the_stripe_catalog() -> None:
    catalog = build_catalog(FIXTURES / "specs" / "stripe" / "spec3.yaml")
    router = Router(catalog)
    rng = random.Random(5)
    ids = ["".join(rng.choices(string.ascii_letters + string.digits, k=12)) for _ in range(50)]
    ids += ["balance", "search", "me", "a.b", "x:y"]  # literals elsewhere, odd characters
    requests = set()
    for operation in catalog.operations:
        for _ in range(4):
            path = operation.path
            while "{" in path:
                start = path.index("{")
                path = path[:start] + rng.choice(ids) + path[path.index("}", start) + 1 :]
            requests.add((operation.method, path))
    assert assert_same_as_router(router, sorted(requests)) > len(catalog.operations)
