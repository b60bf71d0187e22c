"""The one base of every domain conflict, so no floor forgets one and answers 500.

A conflict is a request that contradicts what is stored: a promise while another is pending, a
callback that is already closed, a dispute that is already resolved, a payment reference posted
with another amount. It is not bad input (400 naming a field) and not a refusal (403): the API
answers 409 with ``{"detail": message, **details}`` (``core.api.exception_handler``), and a page
shows ``message`` as the form's error. Services raise it inside their transaction, so whatever
the request had written before is rolled back with it.
"""

from __future__ import annotations


class DomainConflict(Exception):
    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return str(self.message)
