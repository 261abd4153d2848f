"""The one error type business logic raises for a user to read, and the catalogue of its codes.

Services raise `ApplicationError("Clear message", field=..., code="...")`; the web views turn it
into a flash message or a form error and the API into its one error format, with the status
the code has in `ERROR_CODES`. A new code goes in the catalogue (a test reads every
`ApplicationError(..., code=...)` in the code base and fails on one that is not there).

`field` names the input at fault as data: a name (`"currency"`) or a path into nested input
(`("lines", 2, "unit_price")`: the third line's unit price). Each door spells it its own way
from the path: the API as `lines.2.unit_price`, the invoice builder by finding the line's form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A path to the input at fault: names and list positions, outermost first.
FieldPath = tuple[str | int, ...]
FieldRef = str | Sequence[str | int]


@dataclass(frozen=True)
class ErrorCode:
    status: int  # the API's HTTP status
    meaning: str


ERROR_CODES: dict[str, ErrorCode] = {
    # 400: the input is wrong; `field` says where when one field is at fault.
    "invalid": ErrorCode(400, "the input is not acceptable (the default)"),
    "invalid_url": ErrorCode(400, "a webhook URL that is malformed or points inside the network"),
    "invalid_events": ErrorCode(400, "a webhook subscription to events that do not exist"),
    "no_lines": ErrorCode(400, "an invoice without lines cannot be finalized"),
    "legally_incomplete": ErrorCode(400, "the invoice lacks what the seller country's law asks it to state"),
    "number_taken": ErrorCode(400, "the numbering pattern gave a number already used"),
    "duplicate": ErrorCode(400, "the same thing exists already (a client's contact with this email)"),
    "exceeds_balance": ErrorCode(400, "a payment or credit over what is due"),
    "nothing_due": ErrorCode(400, "nothing is left to pay"),
    "unknown_plan": ErrorCode(400, "no such plan"),
    # 403: the actor's role or membership does not allow it (tenants.permissions.require_role).
    "forbidden": ErrorCode(403, "the actor's role does not allow this"),
    # 404: not found, another workspace's object included (400 when a field names it).
    "not_found": ErrorCode(404, "no such object in this workspace"),
    # 409: the object's state does not allow it now.
    "not_draft": ErrorCode(409, "only a draft can be changed"),
    "invalid_status": ErrorCode(409, "the invoice's status does not allow this"),
    "not_finalized": ErrorCode(409, "only a finalized invoice can be sent, paid or credited"),
    # 400 still, though a state: kept as the API has answered them.
    "needs_finalize": ErrorCode(400, "finalize the invoice first"),
    "not_manual": ErrorCode(400, "only a manually recorded payment can be deleted"),
    "has_payments": ErrorCode(400, "an invoice with payments cannot be voided"),
    "has_credit_notes": ErrorCode(400, "an invoice with credit notes cannot be voided"),
    "has_invoices": ErrorCode(400, "a client with invoices cannot be deleted"),
    "balance_changed": ErrorCode(400, "the amount due changed while paying"),
    "endpoint_disabled": ErrorCode(400, "the webhook endpoint is switched off"),
    "plan_limit": ErrorCode(400, "the workspace's plan allows no more this month"),
    "already_subscribed": ErrorCode(400, "the workspace already has this plan"),
    "payments_off": ErrorCode(400, "online payment is not switched on"),
    "no_customer": ErrorCode(400, "the workspace has no Stripe customer yet"),
    "checkout_refused": ErrorCode(400, "Stripe refused to open a checkout"),
}


def field_path(field: FieldRef | None) -> FieldPath:
    """`"currency"` → `("currency",)`; a sequence → a tuple; None → `()`."""
    if field is None:
        return ()
    if isinstance(field, str):
        return (field,)
    return tuple(field)


class ApplicationError(Exception):
    def __init__(
        self,
        message: str,
        *,
        field: FieldRef | None = None,
        code: str = "invalid",
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path: FieldPath = field_path(field)
        self.code = code
        # More than one field at fault (e.g. each fact an invoice still lacks): name -> message.
        self.fields = dict(fields or {})

    @property
    def field(self) -> str | None:
        """The top-level input at fault (a form's field name), or None."""
        return str(self.path[0]) if self.path else None

    @property
    def dotted_field(self) -> str | None:
        """The path as the API spells it: `lines.2.unit_price`."""
        return ".".join(str(part) for part in self.path) if self.path else None

    @property
    def status(self) -> int:
        """The API's HTTP status for this error (400 for a code not in the catalogue)."""
        if self.code == "not_found" and self.path:
            return 400  # a field names a missing object: bad input, not a missing resource
        entry = ERROR_CODES.get(self.code)
        return entry.status if entry else 400
