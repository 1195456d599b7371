"""Bodies as the wire carries them: form fields in the spec's styles, multipart parts with their
boundary, escaping as the scripts' `encodeURIComponent` does it, values that honour `pattern`,
and query values for array parameters. The engines' side is in tests/emit/test_form_bodies.py."""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import default as email_policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml

from inferload.design.bodies import value_for
from inferload.design.encoding import (
    PASSWORD,
    UNIQUE,
    USERNAME,
    encode,
    encoding_of,
    form_text,
    header_for,
    multipart_text,
)
from inferload.design.plan import design
from inferload.design.targets import Targets
from inferload.model.spec_only import infer_from_spec
from inferload.spec import load_catalog
from tests.conftest import SPECS, fixture_catalog
from tests.emit.test_form_bodies import SPEC
from tests.spec.builders import get, openapi3


def test_form_fields_follow_the_styles_the_spec_gives() -> None:
    value = {
        "amount": 50, "live": False, "note": None, "tags": ["a", "b"], "ids": [1, 2],
        "pipes": ["x", "y"], "metadata": {"plan": "pro", "seats": 3},
        "items": [{"price": "p_1", "quantity": 2}], "expand": ["customer"],
    }  # fmt: skip
    styles = {
        "ids": ("form", False), "pipes": ("pipeDelimited", False),
        "items": ("deepObject", True), "expand": ("deepObject", True),
    }  # fmt: skip
    assert parse_qs(form_text(value, styles), strict_parsing=True) == {
        "amount": ["50"], "live": ["false"], "tags": ["a", "b"], "ids": ["1,2"], "pipes": ["x|y"],
        "metadata[plan]": ["pro"], "metadata[seats]": ["3"],
        "items[0][price]": ["p_1"], "items[0][quantity]": ["2"], "expand[0]": ["customer"],
    }  # fmt: skip


def test_form_escaping_is_encode_uri_component_and_keeps_markers() -> None:
    # encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) as they are
    text = form_text({"q": "a b!~*'()&=+/?ü", "who": f"u-{UNIQUE}", "pw": PASSWORD}, {})
    assert text == f"q=a%20b!~*'()%26%3D%2B%2F%3F%C3%BC&who=u-{UNIQUE}&pw={PASSWORD}"


def test_multipart_parts_parse_back_with_the_boundary_in_the_header() -> None:
    body = multipart_text({"purpose": "evidence", "file": "x", "meta": {"a": [1]}, "none": None},
                          frozenset({"file"}))  # fmt: skip
    header = header_for("multipart/form-data")
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {header}\r\n\r\n{body}".encode()
    )
    assert not message.defects
    parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
    assert sorted(parts) == ["file", "meta", "purpose"]
    assert parts["purpose"].get_content() == "evidence"
    assert parts["file"].get_filename() == "file.bin"
    assert parts["meta"].get_content_type() == "application/json"


def test_json_and_other_bodies_are_left_as_values() -> None:
    value = {"a": 1}
    assert encode(value, "application/vnd.api+json", {}, frozenset()) is value
    assert encode("raw", "text/plain", {}, frozenset()) == "raw"
    assert [encoding_of(t) for t in ("application/json; charset=utf-8", "text/csv")] == [
        "json",
        "text",
    ]
    assert header_for("application/x-www-form-urlencoded") == "application/x-www-form-urlencoded"


def test_strings_honour_the_schemas_pattern_the_same_way_each_time() -> None:
    catalog = fixture_catalog("petstore-v3/openapi.yaml")
    schemas: list[tuple[str, dict[str, Any]]] = [
        ("customerName", {"type": "string", "pattern": r"^[A-Za-z]+(?:[\s'-][A-Za-z]+)*$"}),
        ("code", {"type": "string", "pattern": r"^[A-Z]{2}-\d{4}$"}),
        ("currency", {"type": "string", "pattern": "^[a-z]{3}$", "maxLength": 3}),
    ]
    for name, schema in schemas:
        value = value_for(catalog, schema, name, 1)
        assert re.search(schema["pattern"], value), (name, value)
        assert value_for(catalog, schema, name, 1) == value
    unreadable = {"type": "string", "pattern": r"^\p{L}+$"}  # ECMAScript only: left as it was
    assert value_for(catalog, unreadable, "title", 1) == f"title-{UNIQUE}"


def test_swagger2_form_upload_and_array_query_in_the_plan() -> None:
    catalog = fixture_catalog("petstore-v2/petstore.oas2.yaml")
    workload = infer_from_spec(catalog, str(SPECS / "petstore-v2/petstore.oas2.yaml"))
    operations = design(workload, catalog, Targets())["operations"]
    # status is an array of enum strings: one item, not a value outside the enum
    assert operations["findPetsByStatus"]["query"]["status"]["example"] == "available"
    form = operations["updatePetWithForm"]["body"]
    assert (form["encoding"], form["media_type"]) == ("form", "application/x-www-form-urlencoded")
    assert set(parse_qs(form["values"][0].replace(UNIQUE, "1"))) == {"name", "status"}
    upload = operations["uploadFile"]["body"]
    assert upload["encoding"] == "multipart" and "boundary=" in upload["media_type"]
    assert 'name="file"; filename="file.bin"' in upload["values"][0]
    assert operations["placeOrder"]["body"]["encoding"] == "json"
    assert isinstance(operations["placeOrder"]["body"]["values"][0], dict)


def test_a_form_login_holds_markers_and_the_examples_values_written_as_the_form(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    catalog = load_catalog(spec)
    login = design(infer_from_spec(catalog, str(spec)), catalog, Targets())["operations"][
        "issueToken"
    ]
    assert login["body"]["values"] == [
        f"grant_type=password&username={USERNAME}&password={PASSWORD}"
    ]
    # the spec's own values, for a run that gives no credentials, escaped as the form is
    assert login["body"]["credentials"] == {
        "username": f"username-{UNIQUE}",
        "password": "Load-test-passw0rd",
    }


def test_placeholders_for_parameters_without_a_value_are_ones_the_schema_accepts(
    tmp_path: Path,
) -> None:
    """A placeholder the server refuses is an error no user makes: the spec-only pool held
    `example` for Redocly's menu item ids (`^prd_[0-9a-z]{26}$`), and a required query value
    without an example was `a` whatever its type (a date, a flag)."""
    starter = "redocly-openapi-starter-multifile/openapi/openapi.yaml"
    workload = infer_from_spec(fixture_catalog(starter), str(SPECS / starter))
    pattern = "^prd_[0-9abcdefghjkmnpqrstvwxyz]{26}$"
    (placeholder,) = workload.data_pools["menuItemId"].values
    assert workload.data_pools["menuItemId"].provenance.value == "default"
    assert re.fullmatch(pattern, placeholder.value), placeholder.value

    query = lambda name, schema: {"name": name, "in": "query", "required": True, "schema": schema}  # noqa: E731
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(openapi3({"/reports": {"get": get("listReports", parameters=[
        query("since", {"type": "string", "format": "date"}),
        query("draft", {"type": "boolean"}),
        query("code", {"type": "string", "pattern": "^[A-Z]{3}$"}),
        query("page", {"type": "integer", "minimum": 5}),
    ])}})))  # fmt: skip
    catalog = load_catalog(spec)
    plan = design(infer_from_spec(catalog, str(spec)), catalog, Targets())
    examples = {k: v["example"] for k, v in plan["operations"]["listReports"]["query"].items()}
    assert examples["since"] == "2025-01-01" and examples["draft"] is True
    assert re.fullmatch("[A-Z]{3}", examples["code"]) and examples["page"] == 5
