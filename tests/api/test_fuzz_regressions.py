"""What the schemathesis run (test_fuzz.py) found, each kept as a regression test.

Every finding was a response the schema did not describe: a status code it did not document, a
value it did not admit. Each test checks the served schema and a real response together.
"""

from __future__ import annotations

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from tests.api.fuzz_world import fuzz_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


@pytest.fixture
def world():
    return fuzz_world()


def _property(schema: dict, component: str, name: str) -> dict:
    return schema["components"]["schemas"][component]["properties"][name]


def _admits_blank(schema: dict, prop: dict) -> bool:
    refs = [option.get("$ref", "") for option in prop.get("oneOf", [])]
    blank = [schema["components"]["schemas"][r.rsplit("/", 1)[1]] for r in refs if r]
    return any("" in option.get("enum", []) for option in blank)


def test_a_page_past_the_last_is_a_documented_404(schema, api, world):
    response = api.as_user(world.specialist).get("/api/v1/accounts/?page=99")
    assert response.status_code == 404
    assert "404" in schema["paths"]["/api/v1/accounts/"]["get"]["responses"]


def test_every_operation_documents_its_error_answers(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, f"{method} {path}"
            if method in ("post", "put", "patch"):
                assert {"400", "409", "413", "415"} <= codes, f"{method} {path}"


def test_a_contact_without_disposition_or_reason_is_blank_and_the_schema_says_so(
    schema, api, world
):
    entries = api.as_user(world.specialist).get(
        f"/api/v1/accounts/{world.ids['account']}/contacts/"
    )
    entry = entries.json()["results"][0]
    assert (entry["disposition"], entry["reason"]) == ("", "")
    assert _admits_blank(schema, _property(schema, "ContactLog", "disposition"))
    assert _admits_blank(schema, _property(schema, "ContactLog", "reason"))


def test_a_draft_plan_has_no_approver_or_channel_and_the_schema_says_so(schema, api, world):
    plan = api.as_user(world.specialist).get(f"/api/v1/plans/{world.ids['plan']}/").json()
    assert (plan["approved_by"], plan["acceptance_channel"]) == (None, "")
    assert _property(schema, "PlanDetail", "approved_by")["nullable"] is True
    assert _admits_blank(schema, _property(schema, "PlanDetail", "acceptance_channel"))


def test_an_open_restriction_has_no_ender_and_the_schema_says_so(schema, api, world):
    restrictions = api.as_user(world.specialist).get(
        f"/api/v1/accounts/{world.ids['account']}/restrictions/"
    )
    assert restrictions.json()["results"][0]["ended_by"] is None
    assert _property(schema, "Restriction", "ended_by")["nullable"] is True


def test_the_timeline_is_declared_as_the_paginated_list_it_is(schema, api, world):
    operation = schema["paths"]["/api/v1/accounts/{account_id}/timeline/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/PaginatedTimelineEventList")
    body = (
        api.as_user(world.specialist)
        .get(f"/api/v1/accounts/{world.ids['account']}/timeline/")
        .json()
    )
    assert {"count", "next", "previous", "results"} <= set(body)


def test_a_callback_without_a_contact_point_is_null_and_the_schema_says_so(schema, api, world):
    callbacks = api.as_user(world.specialist).get(
        f"/api/v1/accounts/{world.ids['account']}/callbacks/"
    )
    assert callbacks.json()["results"][0]["contact_point"] is None
    assert _property(schema, "Callback", "contact_point")["nullable"] is True
