"""URL -> operation matching on real specs and on the tricky cases logs contain."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferload.spec import Match, Router, Unmatched, build_catalog
from tests.conftest import fixture_catalog
from tests.spec.builders import get, openapi3, path_param, write_spec


def router_for(relative: str) -> Router:
    return Router(fixture_catalog(relative))


def matched(router: Router, method: str, url: str) -> Match:
    result = router.match(method, url)
    assert isinstance(result, Match), f"{method} {url}: {result}"
    return result


@pytest.mark.parametrize(
    ("relative", "method", "url", "operation_id", "params"),
    [
        ("petstore-v3/openapi.yaml", "GET", "/api/v3/pet/10", "getPetById", {"petId": "10"}),
        (
            "petstore-v3/openapi.yaml",
            "GET",
            "/api/v3/pet/findByStatus?status=available",
            "findPetsByStatus",
            {},
        ),
        (
            "petstore-v3/openapi.yaml",
            "POST",
            "/api/v3/pet/10/uploadImage?additionalMetadata=x",
            "uploadFile",
            {"petId": "10"},
        ),
        (
            "petstore-v3/openapi.yaml",
            "GET",
            "/api/v3/user/login?username=a&password=b",
            "loginUser",
            {},
        ),
        (
            "petstore-v3/openapi.yaml",
            "GET",
            "/api/v3/user/user1",
            "getUserByName",
            {"username": "user1"},
        ),
        ("petstore-v2/petstore.oas2.yaml", "GET", "/v2/store/inventory", "getInventory", {}),
        (
            "petstore-v2/petstore.oas2.yaml",
            "DELETE",
            "/v2/store/order/5",
            "deleteOrder",
            {"orderId": "5"},
        ),
        ("petstore-v3.1/petstore.yaml", "PUT", "/api/v31/pet", "updatePet", {}),
        (
            "realworld-conduit/openapi.yml",
            "GET",
            "/api/articles/feed?limit=20",
            "GetArticlesFeed",
            {},
        ),
        (
            "realworld-conduit/openapi.yml",
            "GET",
            "/api/articles/how-to-train-your-dragon",
            "GetArticle",
            {"slug": "how-to-train-your-dragon"},
        ),
        (
            "realworld-conduit/openapi.yml",
            "DELETE",
            "/api/articles/dragon/comments/42",
            "DeleteArticleComment",
            {"slug": "dragon", "id": "42"},
        ),
        ("realworld-conduit/openapi.yml", "POST", "/api/users/login", "Login", {}),
        (
            "redocly-openapi-starter-multifile/openapi/openapi.yaml",
            "DELETE",
            "/menu/17",
            "deleteMenuItem",
            {"menuItemId": "17"},
        ),
        (
            "redocly-museum-3.1/openapi.yaml",
            "GET",
            "/_mock/docs/openapi/museum-api/museum-hours?startDate=2023-02-23",
            "getMuseumHours",
            {},
        ),
        (
            "redocly-museum-3.1/openapi.yaml",
            "GET",
            "/special-events/dad8fd37-7cc9-4f8b-8a3c-3b2f26fa38a4",
            "getSpecialEvent",
            {"eventId": "dad8fd37-7cc9-4f8b-8a3c-3b2f26fa38a4"},
        ),
        (
            "overseerr-cookie-auth/overseerr-api.yml",
            "GET",
            "/api/v1/movie/550",
            None,
            {"movieId": "550"},
        ),
        (
            "oai-examples/v3.0/link-example.yaml",
            "GET",
            "/2.0/repositories/bob/inferload/pullrequests/7",
            "getPullRequestsById",
            {"username": "bob", "slug": "inferload", "pid": "7"},
        ),
        (
            "oai-examples/v3.1/tictactoe.yaml",
            "PUT",
            "/board/1/3",
            "put-square",
            {"row": "1", "column": "3"},
        ),
        (
            "stripe/spec3.yaml",
            "GET",
            "/v1/customers/cus_NffrFeUfNV2Hib",
            "GetCustomersCustomer",
            {"customer": "cus_NffrFeUfNV2Hib"},
        ),
        (
            "stripe/spec3.yaml",
            "POST",
            "/v1/payment_intents/pi_3MtwBw/confirm",
            "PostPaymentIntentsIntentConfirm",
            {"intent": "pi_3MtwBw"},
        ),
        (
            "stripe/spec3.yaml",
            "GET",
            "/v1/customers/search?query=email%3A%27a%40b.c%27",
            "GetCustomersSearch",
            {},
        ),
    ],
)
def test_real_urls_match_real_specs(
    relative: str, method: str, url: str, operation_id: str | None, params: dict[str, str]
) -> None:
    result = matched(router_for(relative), method, url)
    if operation_id is not None:
        assert result.operation_id == operation_id
    assert result.path_params == params


def test_stripe_literal_segment_beats_template() -> None:
    router = router_for("stripe/spec3.yaml")
    assert matched(router, "GET", "/v1/customers/search").path_template == "/v1/customers/search"
    assert matched(router, "GET", "/v1/customers/cus_1").path_template == "/v1/customers/{customer}"


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> Router:
    folder = tmp_path_factory.mktemp("tricky")
    spec = write_spec(
        folder,
        openapi3(
            {
                "/users/me": {"get": get("me")},
                "/users/{id}": {
                    "parameters": [path_param("id")],
                    "get": get("user"),
                    "delete": get("deleteUser"),
                },
                "/users/{id}/posts": {"parameters": [path_param("id")], "get": get("posts")},
                "/files/{name}.{ext}": {
                    "parameters": [path_param("name"), path_param("ext")],
                    "get": get("file"),
                },
                "/jobs/{id}:cancel": {"parameters": [path_param("id")], "post": get("cancelJob")},
                "/": {"get": get("root")},
            },
            servers=[{"url": "https://api.example.com/api/v2"}],
        ),
    )
    return Router(build_catalog(spec))


def test_literal_wins_over_template_and_backtracks(tricky: Router) -> None:
    assert matched(tricky, "GET", "/api/v2/users/me").operation_id == "me"
    assert matched(tricky, "GET", "/api/v2/users/42").path_params == {"id": "42"}
    # `me` is literal for GET only: DELETE falls back to the template at the same place
    assert matched(tricky, "DELETE", "/api/v2/users/me").operation_id == "deleteUser"
    assert matched(tricky, "GET", "/api/v2/users/me/posts").path_params == {"id": "me"}


def test_base_path_is_optional_and_trailing_slash_ignored(tricky: Router) -> None:
    with_base = matched(tricky, "GET", "/api/v2/users/7/")
    without_base = matched(tricky, "GET", "/users/7")
    assert (with_base.base_path, without_base.base_path) == ("/api/v2", "")
    assert with_base.operation_id == without_base.operation_id == "user"
    assert matched(tricky, "GET", "/api/v2").operation_id == "root"
    assert matched(tricky, "GET", "/").operation_id == "root"


def test_percent_encoding_is_decoded_per_segment(tricky: Router) -> None:
    assert matched(tricky, "GET", "/users/j%C3%BCrgen").path_params == {"id": "jürgen"}
    assert matched(tricky, "GET", "/users/a%2Fb").path_params == {"id": "a/b"}


def test_absolute_urls_from_proxies(tricky: Router) -> None:
    assert matched(tricky, "GET", "http://api.example.com/api/v2/users/me?x=1").operation_id == "me"


def test_partial_template_segments(tricky: Router) -> None:
    assert matched(tricky, "GET", "/files/report.final.pdf").path_params == {
        "name": "report.final",
        "ext": "pdf",
    }
    assert matched(tricky, "POST", "/jobs/123:cancel").path_params == {"id": "123"}


def test_head_falls_back_to_get_and_options_is_explained(tricky: Router) -> None:
    assert matched(tricky, "HEAD", "/users/7").operation_id == "user"
    options = tricky.match("OPTIONS", "/users/7")
    assert isinstance(options, Unmatched)
    assert "OPTIONS is not documented" in options.reason and "GET" in options.reason


def test_unmatched_reasons(tricky: Router) -> None:
    assert isinstance(nothing := tricky.match("GET", "/orders/1"), Unmatched)
    assert nothing.reason == "no operation's path matches"
    assert isinstance(tricky.match("GET", "/users//posts"), Unmatched)
    assert isinstance(star := tricky.match("OPTIONS", "*"), Unmatched)
    assert "origin-form" in star.reason


def test_same_path_cached_across_query_strings(tricky: Router) -> None:
    first = tricky.match("GET", "/users/7?page=1")
    second = tricky.match("GET", "/users/7?page=2")
    assert first is second


def test_indistinguishable_templates_are_reported(tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path,
        openapi3(
            {
                "/a/{x}": {"parameters": [path_param("x")], "get": get("ax")},
                "/a/{y}": {"parameters": [path_param("y")], "get": get("ay")},
            }
        ),
    )
    router = Router(build_catalog(spec))
    assert matched(router, "GET", "/a/1").operation_id == "ax"
    assert router.conflicts == ["GET /a/{y} is indistinguishable from /a/{x}"]


def test_match_many_agrees_with_match_and_restores_the_gc(tricky: Router) -> None:
    import gc

    requests = [("GET", "/users/me"), ("GET", "/users/9?x=1"), ("PUT", "/nowhere")]
    assert gc.isenabled()
    assert tricky.match_many(requests) == [tricky.match(m, u) for m, u in requests]
    assert gc.isenabled()
