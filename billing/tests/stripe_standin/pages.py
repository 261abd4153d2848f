"""The stand-in's hosted pages: Checkout's payment page and Connect's onboarding page.

Plain HTML forms, as a browser test needs them: fields with labels and one button each.
"""

from __future__ import annotations

from html import escape
from typing import Any

ZERO_DECIMAL = {"jpy", "krw", "vnd", "clp", "xof", "xaf", "ugx", "rwf", "pyg", "bif", "djf", "gnf", "kmf"}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main>{body}</main></body></html>"""


def page(title: str, body: str) -> str:
    return _PAGE.format(title=escape(title), body=body)


def format_amount(amount: int, currency: str) -> str:
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    return f"{amount // 100}.{amount % 100:02d} {currency.upper()}"


def checkout_page(
    session: dict[str, Any], items: list[dict[str, Any]], merchant: str, error: str = "", email: str = ""
) -> str:
    status = session["status"]
    total = format_amount(session["amount_total"], session["currency"])
    if status == "complete":
        body = f"<h1>Payment complete</h1><p>{escape(merchant)} received {escape(total)}.</p>"
        return page("Payment complete", body)
    if status == "expired":
        return page("Session expired", "<h1>This Checkout Session is no longer active</h1>")
    rows = "".join(
        f"<li>{escape(item['description'] or '')} x {item['quantity']}: "
        f"{escape(format_amount(item['amount_total'], item['currency']))}</li>"
        for item in items
    )
    email = email or session.get("customer_email") or ""
    cancel = (
        f'<p><a href="{escape(session["cancel_url"])}">Back to {escape(merchant)}</a></p>'
        if session.get("cancel_url")
        else ""
    )
    error_html = f'<p role="alert" class="error">{escape(error)}</p>' if error else ""
    body = f"""<h1>Pay {escape(merchant)}</h1>
<p class="total">Total due: <strong data-testid="amount">{escape(total)}</strong></p>
<ul>{rows}</ul>
{error_html}
<form method="post">
  <label>Email <input type="email" name="email" value="{escape(email)}" required></label>
  <label>Card number <input name="card_number" value="4242 4242 4242 4242" autocomplete="off"></label>
  <button type="submit">Pay</button>
</form>
{cancel}
<p><small>Stripe stand-in (test mode): 4000 0000 0000 0002 is declined.</small></p>"""
    return page(f"Pay {merchant}", body)


def onboarding_page(account: dict[str, Any]) -> str:
    body = f"""<h1>Set up payments for {escape(account.get("email") or account["id"])}</h1>
<p>Stripe stand-in: Connect onboarding for {escape(account["id"])}.</p>
<form method="post">
  <button type="submit" name="action" value="submit">Agree and submit</button>
  <button type="submit" name="action" value="leave">Return without finishing</button>
</form>"""
    return page("Connect onboarding", body)
