"""Quotes made through the services, as production makes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from invoices.models import Client, TaxRate
from invoices.services import LineData
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, writer
from quotes import services
from quotes.models import Quote
from tenants.models import Membership


def make_quote(
    *,
    actor: Membership | None = None,
    client: Client | None = None,
    lines: Sequence[LineData] | None = None,
    vat: TaxRate | None = None,
    send: bool = False,
    **kwargs: Any,
) -> Quote:
    actor = actor or writer()
    client = client or ClientFactory()
    vat = vat or TaxRateFactory(name="VAT 20")
    quote = services.quote_create_draft(
        actor=actor,
        client=client,
        lines=list(lines) if lines is not None else [line("Kitchen", "1", "1000.00", tax_rates=[vat])],
        **kwargs,
    )
    if send:
        quote = services.quote_send(actor=actor, quote=quote)
    return quote
