"""Helpers of the invoicing models: money columns, public ids, email lists."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from invoices.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
)
from tenants.models import new_public_id

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def MoneyField(
    verbose_name: StrOrPromise | None = None, *, required: bool = False, **kwargs: Any
) -> models.DecimalField:
    """A money column, the one declaration of every amount the apps store (16 digits, 4 after
    the point: any currency's minor unit). The currency lives on the same row (or on its
    invoice). Zero by default; `required=True` for an amount that has no sensible default."""
    if not required:
        kwargs.setdefault("default", Decimal(0))
    field = models.DecimalField(
        verbose_name, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )
    setattr(field, MONEY_MARK, True)
    return field


MONEY_MARK = "is_money"


def _client_id() -> str:
    return new_public_id("cli")


def _tax_rate_id() -> str:
    return new_public_id("tax")


def _catalog_item_id() -> str:
    return new_public_id("item")


def _invoice_id() -> str:
    return new_public_id("in")


def _payment_id() -> str:
    return new_public_id("pay")


def _refund_id() -> str:
    return new_public_id("ref")


def _dispute_id() -> str:
    return new_public_id("dsp")


def validate_email_list(value: object) -> None:
    # Own error codes: JSONField replaces the message of any "invalid" error with its own.
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Enter at least one email address."), code="no_email")
    for email in value:
        try:
            if not isinstance(email, str):
                raise ValidationError("not a string")
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                _("%(value)s is not a valid email address."), code="bad_email", params={"value": email}
            ) from None
