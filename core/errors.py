"""The one error type business logic raises for a user to read.

Services raise `ApplicationError("Clear message", field="...")`; the web views turn it into a
flash message or a form error and the API into a 400 with the same message.
"""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str = "invalid",
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        # More than one field at fault (e.g. each fact an invoice still lacks): name -> message.
        self.fields = dict(fields or {})
