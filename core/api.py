"""Project-wide API conventions: pagination, error shapes and aware times (see shared API.md)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

from core.bounds import MAX_UTC_OFFSET, MIN_UTC_OFFSET, validate_date_in_range
from core.conflicts import DomainConflict


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset. Contact rules depend on the moment, so a time without an
    offset is refused, never guessed; the offset given is kept (answers use the customer's)."""

    default_error_messages = {
        "invalid": _("Give an ISO 8601 time, e.g. 2026-04-07T15:00:00-04:00."),
        "naive": _("Include the UTC offset, e.g. 2026-04-07T15:00:00-04:00."),
        "offset": "A UTC offset lies between -12:00 and +14:00.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            self.fail("invalid")
        offset = parsed.utcoffset()
        if offset is None:
            self.fail("naive")
        # Real zones run from -12:00 to +14:00; PostgreSQL stores no offset past ±15:59.
        if not MIN_UTC_OFFSET <= offset <= MAX_UTC_OFFSET:
            self.fail("offset")
        validate_date_in_range(parsed)
        return parsed


class BoundedDateField(serializers.DateField):
    """A date between 1900 and 2199 (core.bounds): anything else is a 400 naming the field."""

    def __init__(self, **kwargs):
        kwargs["validators"] = [*kwargs.get("validators", ()), validate_date_in_range]
        super().__init__(**kwargs)


class BoundedDateTimeField(serializers.DateTimeField):
    """A time whose date lies between 1900 and 2199 (core.bounds)."""

    def __init__(self, **kwargs):
        kwargs["validators"] = [*kwargs.get("validators", ()), validate_date_in_range]
        super().__init__(**kwargs)


def exception_handler(exc, context):
    """DRF's handler, plus domain ``ValidationError``s become a 400 naming the field and
    domain conflicts (``core.conflicts.DomainConflict``) a 409 saying what is stored."""
    if isinstance(exc, DomainConflict):
        response = drf_exception_handler(Conflict(exc.message), context)
        if response is not None:  # details keep their types (ids stay numbers)
            response.data = {"detail": exc.message, **exc.details}
        return response
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response


# --- The schema's error answers ------------------------------------------------------------
#: Every error body is a JSON object: ``{"detail": "…"}`` or ``{"field": ["…", …]}``.
ERROR_BODY = {
    "type": "object",
    "additionalProperties": True,
    "description": '{"detail": "…"} or {"field": ["message", …]} (field errors)',
}
ERROR_STATUSES = {
    "400": "Bad input: the body names each field and what is wrong with it.",
    "401": "Not signed in, or the token expired or was revoked.",
    "403": "Signed in without the role or permission, or the object belongs to another team.",
    "404": "No such object (or not one this user may see).",
    "409": "The request conflicts with the object's state (e.g. a duplicate or a closed case).",
    "413": "The body is too large.",
    "415": "The body is not JSON (or a form/multipart where the endpoint takes one).",
    "429": "Too many requests; retry later.",
}
_WRITES = {"post", "put", "patch"}


def error_responses(method: str, operation: dict) -> dict[str, dict]:
    """The 4xx answers an operation may give (the ones not already documented)."""
    codes = ["401", "403", "429"]
    if operation.get("parameters") or method in _WRITES:
        codes.append("400")
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" or p.get("name") == "page" for p in parameters):
        codes.append("404")  # no such object, or a page past the last
    if method in _WRITES or method == "delete":
        codes += ["409", "413", "415"]
    return {
        code: {
            "description": ERROR_STATUSES[code],
            "content": {"application/json": {"schema": ERROR_BODY}},
        }
        for code in codes
    }


def schema_error_responses(result, generator, request, public):
    """drf-spectacular hook: document every operation's error answers (API.md, Errors)."""
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, response in error_responses(method, operation).items():
                operation["responses"].setdefault(code, response)
    return result


__all__ = [
    "ERROR_BODY",
    "AwareDateTimeField",
    "BoundedDateField",
    "BoundedDateTimeField",
    "Conflict",
    "Pagination",
    "error_responses",
    "exception_handler",
    "schema_error_responses",
]
