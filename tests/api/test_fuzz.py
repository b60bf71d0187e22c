"""Schemathesis over the whole API, as a specialist and as a supervisor (issue 13).

Every operation of the schema the app serves gets a bounded number of generated requests
(positive and negative data, derandomized so CI is stable), sent through the WSGI app against the
test database. Each response must not be a 5xx and must conform to the schema: its status code
documented (the 4xx answers too: ``core.api.schema_error_responses``), its content type and its
body. Path parameters are real objects of the user's team, so requests get past the 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import schemathesis
import time_machine
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from tests.api.fuzz_world import FuzzWorld, fuzz_world

EXAMPLES = 8  # per operation, role and generation mode
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Left out, with the reason: they change the user the run authenticates as.
SKIPPED = {
    ("POST", "/api/v1/auth/token/"): "rotates the run's own token (covered by its own tests)",
}
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _schema() -> schemathesis.schemas.BaseSchema:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    schema.app = get_wsgi_application()
    return schema


def _operations() -> Iterator:
    for result in _schema().get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            yield operation


def _fuzz(operation, world: FuzzWorld, user) -> int:
    token = Token.objects.get_or_create(user=user)[0].key
    headers = {"Authorization": f"Token {token}"}
    path_parameters = world.path_parameters(operation.path)
    sent = 0
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            nonlocal sent
            response = case.call(headers=headers)
            sent += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Unsatisfiable:
            # Nothing of this operation can be made invalid (its only inputs are the path's
            # real ids): there are no negative examples to send.
            if mode is not GenerationMode.NEGATIVE:
                raise
    return sent


def _summary(error: BaseException) -> str:
    """The failure's own lines (what was received, what the schema says), not the traceback."""
    if isinstance(error, BaseExceptionGroup):
        return " || ".join(_summary(e) for e in error.exceptions)
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " | ".join(lines[:6])


@pytest.fixture
def keep_connection():
    """Requests go through the WSGI app, which closes the database connection after each one
    (``close_old_connections``); keep it open inside the test's transaction, as Django's test
    client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, keep_connection) -> FuzzWorld:
    with time_machine.travel(NOW, tick=True):
        return fuzz_world()


@pytest.mark.parametrize("role", ["specialist", "supervisor"])
def test_no_operation_answers_5xx_or_breaks_the_schema(world, role):
    user = world.specialist if role == "specialist" else world.supervisor
    failures, sent, operations = [], 0, 0
    for operation in _operations():
        operations += 1
        try:
            sent += _fuzz(operation, world, user)
        except (Exception, BaseExceptionGroup) as error:  # collect all, report together
            failures.append(f"{operation.method.upper()} {operation.path}: {_summary(error)}")
    print(f"{role}: {operations} operations, {sent} requests")
    assert not failures, "\n\n".join(failures)
