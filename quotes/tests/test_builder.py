"""The quote builder has the invoice builder's lines and live totals: the totals endpoint runs
the invoice engine over the posted lines, bad input is a line's error (never a 500), line
operations work without JavaScript, and only writers of the workspace may use it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from invoices import services as invoice_services
from invoices.templatetags.invoice_tags import money
from invoices.tests.factories import ClientFactory, TaxRateFactory
from quotes.models import Quote
from tenants.models import Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setup(tenant: Tenant) -> dict[str, Any]:
    with tenant_scope(tenant):
        return {
            "client": ClientFactory(name="Kestrel", currency="EUR"),
            "vat": TaxRateFactory(name="VAT", percentage=Decimal("20")),
            "incl": TaxRateFactory(name="VAT incl", percentage=Decimal("20"), inclusive=True),
        }


def _post(setup: dict[str, Any], *lines: dict[str, Any], **header: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client": setup["client"].public_id,
        "discount_type": "amount",
        "discount_value": "",
        "on_accept": "nothing",
        "lines-TOTAL_FORMS": str(len(lines)),
        **header,
    }
    for index, line in enumerate(lines):
        for name, value in {"key": f"{index + 10:x}", "quantity": "1", **line}.items():
            data[f"lines-{index}-{name}"] = value
    return data


def _totals_url(tenant: Tenant) -> str:
    return reverse("quote_builder_totals", args=[tenant.slug])


def _figure(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert found, f"{testid} not in {html[:1500]}"
    return found.group(1).replace("\u2212", "").strip()


@pytest.mark.parametrize(
    ("lines", "discount"),
    [
        # A tax on top of the price.
        ([{"description": "Audit", "quantity": "2", "unit_price": "500.00", "tax": "vat"}], ""),
        # A tax included in the price.
        ([{"description": "Audit", "quantity": "1", "unit_price": "120.00", "tax": "incl"}], ""),
        # Both, with a discount on the quote and one on a line.
        (
            [
                {"description": "Audit", "quantity": "3", "unit_price": "333.33", "tax": "vat"},
                {
                    "description": "Oven",
                    "quantity": "1",
                    "unit_price": "99.99",
                    "discount": "9.99",
                    "tax": "incl",
                },
            ],
            "50",
        ),
    ],
)
def test_the_totals_are_the_engines_for_the_posted_lines(
    owner_client: HttpClient,
    tenant: Tenant,
    setup: dict[str, Any],
    lines: list[dict[str, Any]],
    discount: str,
) -> None:
    posted = [
        {**{k: v for k, v in line.items() if k != "tax"}, "tax_rates": [setup[line["tax"]].public_id]}
        for line in lines
    ]
    response = owner_client.post(_totals_url(tenant), _post(setup, *posted, discount_value=discount), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    with tenant_scope(tenant):
        expected = invoice_services.invoice_calculate(
            currency="EUR",
            lines=[
                {
                    "description": line["description"],
                    "quantity": line["quantity"],
                    "unit_price": line["unit_price"],
                    "discount": line.get("discount", "0"),
                    "tax_rates": [setup[line["tax"]]],
                }
                for line in lines
            ],
            discount_type="amount",
            discount_value=discount or "0",
        )
    assert _figure(html, "total") == money(expected.total, "EUR")
    assert _figure(html, "subtotal") == money(expected.subtotal, "EUR")
    taxes = re.findall(r'data-testid="tax-amount">([^<]*)<', html)
    assert taxes == [money(tax.tax_amount, "EUR") for tax in expected.taxes]
    if discount:
        assert _figure(html, "discount") == money(expected.discount, "EUR")
    # Each line's amount, swapped out of band onto the line.
    amounts = re.findall(r'<output id="amount-[0-9a-f]+" data-testid="line-amount"[^>]*>([^<]*)<', html)
    assert amounts == [money(amount, "EUR") for amount in expected.line_amounts]


def test_known_figures(owner_client: HttpClient, tenant: Tenant, setup: dict[str, Any]) -> None:
    exclusive = _post(
        setup,
        {"description": "Audit", "quantity": "2", "unit_price": "500", "tax_rates": [setup["vat"].public_id]},
    )
    html = owner_client.post(_totals_url(tenant), exclusive).content.decode()
    assert _figure(html, "total") == "€1,200.00"
    inclusive = _post(
        setup,
        {
            "description": "Audit",
            "quantity": "1",
            "unit_price": "120",
            "tax_rates": [setup["incl"].public_id],
        },
    )
    html = owner_client.post(_totals_url(tenant), inclusive).content.decode()
    assert _figure(html, "total") == "€120.00"
    assert re.findall(r'data-testid="tax-amount">([^<]*)<', html) == ["€20.00"]


def _error_box(html: str, field: str) -> str:
    box = re.search(rf'id="id_lines-0-{field}-error"[^>]*>(.*?)</span>', html)
    assert box, html[:3000]
    return box.group(1)


@pytest.mark.parametrize(
    ("line", "field", "live_box"),
    [
        # The engine's refusals: said in the totals panel while typing, beside the field on save.
        ({"description": "Audit", "unit_price": "12,5.0"}, "unit_price", False),
        ({"description": "Audit", "unit_price": "abc"}, "unit_price", False),
        ({"description": "Audit", "unit_price": "10", "discount": "50"}, "discount", False),
        # The form's: beside the field at once (the invoice limits: a 5,000-character description).
        ({"description": "x" * 6000, "unit_price": "10"}, "description", True),
        ({"description": "Audit", "unit_price": "10", "unit": "u" * 40}, "unit", True),
    ],
)
def test_bad_input_is_a_line_error_not_a_500(
    owner_client: HttpClient,
    tenant: Tenant,
    setup: dict[str, Any],
    line: dict[str, str],
    field: str,
    live_box: bool,
) -> None:
    response = owner_client.post(_totals_url(tenant), _post(setup, line), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total"' not in html
    message = _figure(html, "totals-message")
    if live_box:
        assert 'class="error"' in _error_box(html, field)
    else:
        assert message.startswith("Line 1: ")
    # Saving the same form keeps nothing and shows the error beside the line's field.
    saved = owner_client.post(reverse("quote_new", args=[tenant.slug]), _post(setup, line))
    assert saved.status_code == 400
    assert 'class="error"' in _error_box(saved.content.decode(), field)
    with tenant_scope(tenant):
        assert not Quote.objects.exists()


def test_no_client_says_so(owner_client: HttpClient, tenant: Tenant, setup: dict[str, Any]) -> None:
    html = owner_client.post(
        _totals_url(tenant), _post(setup, {"description": "A", "unit_price": "1"}, client="")
    ).content.decode()
    assert "Choose a client to see the totals." in html


def test_a_viewer_gets_403_and_another_workspace_404(
    viewer_client: HttpClient, outsider_client: HttpClient, tenant: Tenant, setup: dict[str, Any]
) -> None:
    data = _post(setup, {"description": "Audit", "unit_price": "10"})
    assert viewer_client.post(_totals_url(tenant), data).status_code == 403
    assert outsider_client.post(_totals_url(tenant), data).status_code == 404
    assert (
        outsider_client.post(reverse("quote_new", args=[tenant.slug]), {**data, "op": "add"}).status_code
        == 404
    )


def test_add_and_remove_lines_without_javascript_then_save(
    owner_client: HttpClient, tenant: Tenant, setup: dict[str, Any]
) -> None:
    url = reverse("quote_new", args=[tenant.slug])
    page = owner_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="line"') == 1
    assert 'data-testid="totals"' in html
    first = {
        "description": "Audit",
        "quantity": "2",
        "unit_price": "500",
        "tax_rates": [setup["vat"].public_id],
    }
    added = owner_client.post(url, {**_post(setup, first), "op": "add"})
    assert added.status_code == 200
    html = added.content.decode()
    assert html.count('data-testid="line"') == 2
    assert _figure(html, "total") == "€1,200.00"  # the totals, computed on the full page too
    keys = re.findall(r'name="lines-\d+-key" value="([0-9a-f]+)"', html)
    second = {"description": "Oven", "unit_price": "100"}
    data = _post(setup, first, second)
    data.update({"lines-0-key": keys[0], "lines-1-key": keys[1]})
    removed = owner_client.post(url, {**data, "op": f"remove-{keys[0]}"}, **HTMX)
    html = removed.content.decode()
    assert html.count('data-testid="line"') == 1
    assert "Oven" in html
    assert "Audit" not in html
    assert _figure(html, "total") == "€100.00"  # the totals swapped out of band with the lines
    saved = owner_client.post(url, _post(setup, first, second))
    assert saved.status_code == 302
    with tenant_scope(tenant):
        quote = Quote.objects.get()
    assert quote.total == Decimal("1300.00")
    # Editing shows the saved lines and their totals.
    html = owner_client.get(reverse("quote_edit", args=[tenant.slug, quote.public_id])).content.decode()
    assert html.count('data-testid="line"') == 2
    assert _figure(html, "total") == "€1,300.00"


def test_the_builder_takes_the_invoice_limits(
    owner_client: HttpClient, tenant: Tenant, setup: dict[str, Any]
) -> None:
    """A quote may have as many lines as an invoice (`invoices.limits`), not the old 100."""
    lines = [{"description": f"Item {n}", "unit_price": "1"} for n in range(150)]
    response = owner_client.post(reverse("quote_new", args=[tenant.slug]), _post(setup, *lines))
    assert response.status_code == 302
    with tenant_scope(tenant):
        assert Quote.objects.get().total == Decimal("150.00")
