"""The catalog built from each real spec in fixtures/specs."""

from __future__ import annotations

import pytest

from tests.conftest import fixture_catalog


@pytest.mark.parametrize(
    ("relative", "version", "operations", "base_paths"),
    [
        ("petstore-v2/petstore.oas2.yaml", "2.0", 20, {"/v2"}),
        ("petstore-v3/openapi.yaml", "3.0.4", 19, {"/api/v3"}),
        ("petstore-v3.1/petstore.yaml", "3.1.1", 6, {"/api/v31"}),
        ("realworld-conduit/openapi.yml", "3.1.0", 19, {"/api"}),
        ("redocly-openapi-starter-multifile/openapi/openapi.yaml", "3.1.0", 12, {""}),
        ("redocly-museum-3.1/openapi.yaml", "3.1.0", 8, {"/_mock/docs/openapi/museum-api"}),
        ("overseerr-cookie-auth/overseerr-api.yml", "3.0.2", 170, {"/api/v1"}),
        ("oai-examples/v3.0/link-example.yaml", "3.0.0", 6, {""}),
        ("oai-examples/v3.1/tictactoe.yaml", "3.1.0", 3, {""}),
        ("oai-examples/v2.0/yaml/petstore-separate/spec/swagger.yaml", "2.0", 4, {"/api"}),
        ("stripe/spec3.yaml", "3.0.0", 468, {""}),
    ],
)
def test_each_fixture_spec_loads_with_its_operations(
    relative: str, version: str, operations: int, base_paths: set[str]
) -> None:
    catalog = fixture_catalog(relative)
    assert catalog.openapi_version == version
    assert len(catalog.operations) == operations
    assert {b for op in catalog.operations for b in op.base_paths} == base_paths
    assert len({op.operation_id for op in catalog.operations}) == operations


def test_petstore_v3_operation_details() -> None:
    catalog = fixture_catalog("petstore-v3/openapi.yaml")
    get_pet = catalog.operation("getPetById")
    assert (get_pet.method, get_pet.path) == ("GET", "/pet/{petId}")
    (pet_id,) = get_pet.path_parameters
    assert pet_id.required and pet_id.schema == {"type": "integer", "format": "int64"}
    assert get_pet.success_statuses == ("200",)
    ok = next(r for r in get_pet.responses if r.status == "200")
    assert {m.media_type for m in ok.content} == {"application/json", "application/xml"}
    assert ok.content[0].schema == {"$ref": "#/components/schemas/Pet"}
    pet = catalog.schemas["#/components/schemas/Pet"]
    assert pet["properties"]["category"] == {"$ref": "#/components/schemas/Category"}
    assert set(get_pet.security[0]) | set(get_pet.security[1]) == {"api_key", "petstore_auth"}
    assert get_pet.tags == ("pet",)

    add_pet = catalog.operation("addPet")
    assert add_pet.is_write and add_pet.request_body is not None and add_pet.request_body.required
    assert [m.media_type for m in add_pet.request_body.content] == [
        "application/json",
        "application/xml",
        "application/x-www-form-urlencoded",
    ]
    login = catalog.operation("loginUser")
    assert [(p.name, p.location, p.required) for p in login.parameters] == [
        ("username", "query", False),
        ("password", "query", False),
    ]
    login_ok = next(r for r in login.responses if r.status == "200")
    assert set(login_ok.headers) == {"X-Rate-Limit", "X-Expires-After"}
    assert catalog.operation("logoutUser").security == ()

    api_key = catalog.security_schemes["api_key"]
    assert (api_key.type, api_key.location, api_key.parameter_name) == (
        "apiKey",
        "header",
        "api_key",
    )
    assert catalog.security_schemes["petstore_auth"].flows == ("implicit",)


def test_swagger2_bodies_forms_and_security_are_expressed_as_openapi3() -> None:
    catalog = fixture_catalog("petstore-v2/petstore.oas2.yaml")
    add_pet = catalog.operation("addPet")
    assert add_pet.request_body is not None
    assert {m.media_type for m in add_pet.request_body.content} == {
        "application/json",
        "application/xml",
    }
    assert add_pet.request_body.content[0].schema == {"$ref": "#/definitions/Pet"}
    assert "#/definitions/Pet" in catalog.schemas

    form = catalog.operation("updatePetWithForm").request_body
    assert form is not None and form.content[0].media_type == "application/x-www-form-urlencoded"
    assert set(form.content[0].schema["properties"]) == {"name", "status"}

    upload = catalog.operation("uploadFile").request_body
    assert upload is not None and upload.content[0].media_type == "multipart/form-data"

    find = catalog.operation("findPetsByStatus")
    status = find.parameters[0]
    assert status.location == "query" and status.schema["type"] == "array"
    ok = next(r for r in find.responses if r.status == "200")
    assert {m.media_type for m in ok.content} == {"application/json", "application/xml"}
    assert catalog.security_schemes["api_key"].location == "header"
    assert {s.url for s in catalog.servers} == {
        "https://petstore.swagger.io/v2",
        "http://petstore.swagger.io/v2",
    }


def test_multifile_refs_resolve_across_folders() -> None:
    catalog = fixture_catalog("redocly-openapi-starter-multifile/openapi/openapi.yaml")
    assert len(catalog.sources) > 20
    assert any(s.path.endswith("paths/menu.yaml") for s in catalog.sources)
    delete = catalog.operation("deleteMenuItem")
    (item_id,) = delete.path_parameters
    assert item_id.name == "menuItemId"
    schema_keys = [k for k in catalog.schemas if "components/schemas/" in k]
    assert any(k.startswith("components/schemas/MenuItem.yaml#") for k in schema_keys)
    assert (
        catalog.security_schemes["OAuth2"].token_url == "https://api.cafe.redocly.com/oauth2/token"
    )
    assert catalog.webhooks == ("order-notification",)


def test_swagger2_multifile_parameters_and_definitions() -> None:
    catalog = fixture_catalog("oai-examples/v2.0/yaml/petstore-separate/spec/swagger.yaml")
    find = catalog.operation("findPets")
    assert {p.name for p in find.parameters} == {"tags", "limit"}
    body = catalog.operation("addPet").request_body
    assert body is not None and body.content[0].schema["$ref"].startswith("NewPet.yaml")


def test_links_are_kept_with_their_target_and_parameters() -> None:
    catalog = fixture_catalog("oai-examples/v3.0/link-example.yaml")
    get_user = catalog.operation("getUserByName")
    links = {link.name: link for r in get_user.responses for link in r.links}
    assert links["userRepositories"].operation_id == "getRepositoriesByOwner"
    assert links["userRepositories"].parameters == {"username": "$response.body#/username"}


def test_openapi31_id_and_anchor_refs_resolve_and_null_refs_are_reported() -> None:
    catalog = fixture_catalog("petstore-v3.1/petstore.yaml")
    pet = catalog.schemas["#/components/schemas/Pet"]
    target = pet["properties"]["petDetailsId"]["$ref"]
    assert catalog.schemas[target]["format"] == "int64"
    assert any("petDetails" in p and "not a reference string" in p for p in catalog.problems)


def test_cookie_api_key_and_server_variables() -> None:
    catalog = fixture_catalog("overseerr-cookie-auth/overseerr-api.yml")
    cookie = catalog.security_schemes["cookieAuth"]
    assert (cookie.type, cookie.location, cookie.parameter_name) == (
        "apiKey",
        "cookie",
        "connect.sid",
    )
    assert catalog.servers[0].url.endswith("/api/v1") and "{" not in catalog.servers[0].url


def test_recursive_schemas_stay_finite_in_stripe() -> None:
    catalog = fixture_catalog("stripe/spec3.yaml")
    customer = catalog.schemas["#/components/schemas/customer"]
    assert customer["type"] == "object"
    assert len(catalog.schemas) > 500
    get_customer = catalog.operation("GetCustomersCustomer")
    assert get_customer.path == "/v1/customers/{customer}"
    assert catalog.security_schemes["bearerAuth"].scheme == "bearer"
