"""Without logs, every operation a user can call is in a journey, or listed with the reason.

USPTO's data-set API hangs `GET /{dataset}/{version}/fields` and its search off no collection:
its model ran `GET /` alone, sessions of one request, and said nothing of the rest. Tic-tac-toe's
squares (`/board/{row}/{column}`), Petstore's `PUT /pet` and Conduit's profiles (named only in
the articles' authors) were left out the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from inferload.cli import main
from inferload.model.spec_only import infer_from_spec
from inferload.model.workload import Workload
from inferload.spec import load_catalog
from tests.conftest import SPECS, fixture_catalog
from tests.spec.builders import get, openapi3, path_param, write_spec


def inferred(relative: str) -> Workload:
    return infer_from_spec(fixture_catalog(relative), str(SPECS / relative))


def pool_values(workload: Workload, name: str) -> set[str]:
    return {value.value for value in workload.data_pools[name].values}


def test_operations_off_every_collection_are_reached_with_the_specs_values() -> None:
    workload = inferred("oai-examples/v3.0/uspto.yaml")
    (persona,) = workload.personas
    assert set(workload.operations) == {
        "list-data-sets",
        "list-searchable-fields",
        "perform-search",
    }
    assert workload.left_out == {}
    # after the list of data sets (the root, `GET /`), a data set picked from the spec's values
    assert {"list-searchable-fields", "perform-search"} <= set(
        persona.transitions["list-data-sets"]
    )
    assert "oa_citations" in pool_values(workload, "dataset")  # the example and the default
    assert pool_values(workload, "version") == {"v1"}
    assert persona.session_length_steps > 2  # it was a single request


def test_an_item_named_by_two_parameters_is_read_from_its_collection() -> None:
    workload = inferred("oai-examples/v3.1/tictactoe.yaml")
    (persona,) = workload.personas
    assert "get-square" in persona.transitions["get-board"]
    assert "put-square" in persona.transitions["get-square"]
    # every square of the board: a bounded integer's values (1-3), not only its example
    assert pool_values(workload, "row") == pool_values(workload, "column") == {"1", "2", "3"}


def test_an_update_that_takes_the_item_in_its_body_follows_reading_the_item() -> None:
    workload = inferred("petstore-v3/openapi.yaml")
    (persona,) = workload.personas
    assert "updatePet" in persona.transitions["getPetById"]  # PUT /pet after GET /pet/{petId}
    assert workload.left_out == {}


def test_a_parameter_named_in_what_users_read_is_taken_from_there() -> None:
    workload = inferred("realworld-conduit/openapi.yml")
    (persona,) = workload.personas
    profile = workload.correlations["GetProfileByUsername"]["username"]
    assert (profile.producer, profile.pointer, profile.via) == (
        "GetArticles",
        "/articles/0/author/username",
        "field",
    )
    assert "GetProfileByUsername" in persona.transitions["GetArticles"]
    assert "FollowUserByUsername" in persona.transitions["GetProfileByUsername"]
    assert "UpdateCurrentUser" in persona.transitions["GetCurrentUser"]  # PUT /user after GET
    assert workload.left_out == {}


def operation(operation_id: str, *parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return get(operation_id, parameters=list(parameters), **extra)


def test_what_no_journey_can_run_is_listed_with_the_reason(tmp_path: Path) -> None:
    widget = {**path_param("widgetId"), "example": "w-1"}
    page = {"name": "page", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 5000}}  # fmt: skip
    spec = write_spec(tmp_path, openapi3({
        "/orders": {"get": get("listOrders"), "head": get("headOrders")},
        "/orders/{orderId}": {"get": operation("getOrder", path_param("orderId"))},
        "/legacy": {"get": get("legacy", deprecated=True)},
        "/healthz": {"get": get("health")},
        "/things/{thingId}": {"get": operation("getThing", path_param("thingId"))},
        "/widgets/{widgetId}": {"delete": operation("deleteWidget", widget)},
        "/pages/{page}": {"get": operation("getPage", page)},
        "/jobs": {"get": get("listJobs")},
        "/jobs/{jobId}/run": {"post": operation("runJob", path_param("jobId"))},
    }))  # fmt: skip
    workload = infer_from_spec(load_catalog(spec), str(spec))
    assert workload.left_out == {
        "deleteWidget": "a DELETE of an item no journey leads to: on the spec's example values "
        "every session would change the same item",
        "getPage": "the spec gives {page} no example, default or producer",  # 5,000: not a list
        "getThing": "the spec gives {thingId} no example, default or producer",
        "headOrders": "HEAD: a client's or a proxy's, not a user's",
        "health": "an operations endpoint (health, metrics), not a user's",
        "legacy": "deprecated",
    }
    assert set(workload.operations) == {"listOrders", "getOrder", "listJobs", "runJob"}
    (persona,) = workload.personas
    assert "runJob" in persona.transitions["listJobs"]  # an action on a listed job
    assert workload.correlations["runJob"]["jobId"].producer == "listJobs"

    runner = CliRunner()
    output = tmp_path / "workload.yaml"
    shown = runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(output)])
    assert shown.exit_code == 0, shown.output
    assert "Left out of the journeys (6): deleteWidget, getPage, getThing" in shown.output
    as_json = runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(output), "--force", "--json"])  # fmt: skip
    assert json.loads(as_json.output)["summary"]["left_out"] == workload.left_out
    emitted = runner.invoke(main, ["generate", str(output), "--tool", "k6", "-o", str(tmp_path / "out")])  # fmt: skip
    assert emitted.exit_code == 0, emitted.output
    plan = (tmp_path / "out" / "TEST-PLAN.md").read_text()
    assert "no journey runs these 6 operation(s)" in plan
    assert "| getThing | the spec gives {thingId} no example, default or producer |" in plan


def test_only_an_id_like_field_of_a_specific_name_supplies_a_parameter(tmp_path: Path) -> None:
    """`{id}` is every resource's: a list's `id` is no other item's. A field sharing the
    parameter's name but holding an object or a count is no id either (Stripe's payment
    methods list a `card` object, its balance a `card` amount)."""
    listing = {"200": {"description": "ok", "content": {"application/json": {"schema": {
        "type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "card": {"type": "object", "properties": {"brand": {"type": "string"}}},
            "seats": {"type": "integer"}, "ownerId": {"type": "integer"},
        }}}}}}}  # fmt: skip
    spec = write_spec(tmp_path, openapi3({
        "/orders": {"get": get("listOrders", responses=listing)},
        "/refunds/{id}": {"get": operation("getRefund", path_param("id"))},
        "/cards/{card}": {"get": operation("getCard", path_param("card"))},
        "/seats/{seats}": {"get": operation("getSeats", path_param("seats"))},
        "/owners/{ownerId}": {"get": operation("getOwner", path_param("ownerId"))},
    }))  # fmt: skip
    workload = infer_from_spec(load_catalog(spec), str(spec))
    assert set(workload.left_out) == {"getRefund", "getCard", "getSeats"}
    owner = workload.correlations["getOwner"]["ownerId"]
    assert (owner.producer, owner.pointer, owner.via) == ("listOrders", "/0/ownerId", "field")


def test_a_spec_with_nothing_a_user_can_call_is_refused_with_the_reason(tmp_path: Path) -> None:
    """OpenAPI 3.1's webhook example has webhooks and no paths: `infer` failed with an
    IndexError traceback."""
    webhooks = SPECS / "oai-examples" / "v3.1" / "webhook-example.yaml"
    runner = CliRunner()
    refused = runner.invoke(
        main, ["infer", "--spec", str(webhooks), "-o", str(tmp_path / "w.yaml")]
    )
    assert refused.exit_code == 2, refused.output
    assert "no operation a user can call (0 in `paths`)" in refused.output
    assert "Traceback" not in refused.output and not (tmp_path / "w.yaml").exists()
    probes = write_spec(tmp_path, openapi3({"/healthz": {"get": get("health")}}))
    refused = runner.invoke(main, ["infer", "--spec", str(probes), "-o", str(tmp_path / "w.yaml")])
    assert refused.exit_code == 2
    assert "all left out: an operations endpoint (health, metrics), not a user's" in refused.output
