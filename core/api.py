"""Project-wide API conventions: pagination and error shapes (see shared API.md)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class AwareDateTimeField(serializers.DateTimeField):
    """A time with its UTC offset: contact rules depend on the moment, so no guessing a zone."""

    default_error_messages = {
        "naive": "Give a time zone offset, e.g. 2026-04-01T10:00:00-04:00.",
    }

    def enforce_timezone(self, value):
        if value.tzinfo is None:
            self.fail("naive")
        return super().enforce_timezone(value)


def exception_handler(exc, context):
    """DRF's handler, plus domain ``ValidationError``s become a 400 naming the field."""
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


__all__ = ["AwareDateTimeField", "Conflict", "Pagination", "exception_handler"]
