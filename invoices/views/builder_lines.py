"""The builder's lines as HTML, written in Python.

A draft may have 5,000 lines (`invoices.limits.MAX_LINES`). Through Django's template engine
each line cost about ten milliseconds (includes, widgets, a dozen translated strings), so a
long draft took a minute to open. Here the translated strings are looked up once per page
and each line is one string format with escaped values: the same markup, a few hundred times
faster. `_builder_lines.html` places the result; what a line contains is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, cast

from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from invoices.forms import LineForm, new_line_key
from invoices.models import CatalogItem, TaxRate
from invoices.templatetags.invoice_tags import money as money_tag

LINE_FIELDS = ("key", "catalog_item", "description", "quantity", "unit", "unit_price", "discount", "metadata")
# Carried as hidden inputs: set through the API, kept by the builder.
LINE_DETAILS = ("unit_code", "base_quantity", "gross_price", "period_start", "period_end")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class _Texts:
    """Every translated string of a line, once per page; `%(n)s` is the line's number."""

    line: str
    description_of: str
    placeholder: str
    catalog_of: str
    from_catalog: str
    use: str
    quantity: str
    unit: str
    unit_price: str
    discount: str
    taxes: str
    taxes_of: str
    no_tax: str
    no_rates: str
    add_one: str
    amount_of: str
    move_up: str
    move_up_n: str
    move_down: str
    move_down_n: str
    remove: str
    remove_n: str
    add_allowance: str
    add_allowance_n: str

    @classmethod
    def now(cls) -> _Texts:
        return cls(
            line=_("Line %(n)s"),
            description_of=_("Description of line %(n)s"),
            placeholder=_("What did you do or sell?"),
            catalog_of=_("Catalog item for line %(n)s"),
            from_catalog=_("From catalog…"),
            use=_("Use"),
            quantity=_("Quantity"),
            unit=_("Unit"),
            unit_price=_("Unit price"),
            discount=_("Discount"),
            taxes=_("Taxes"),
            taxes_of=_("Taxes of line %(n)s"),
            no_tax=_("No tax"),
            no_rates=_("No tax rates yet."),
            add_one=_("Add one"),
            amount_of=_("Amount of line %(n)s"),
            move_up=_("Move up"),
            move_up_n=_("Move line %(n)s up"),
            move_down=_("Move down"),
            move_down_n=_("Move line %(n)s down"),
            remove=_("Remove"),
            remove_n=_("Remove line %(n)s"),
            add_allowance=_("+ Allowance or charge"),
            add_allowance_n=_("(line %(n)s)"),
        )


def _errors(messages: Sequence[str], error_id: str = "") -> str:
    attribute = f' id="{error_id}"' if error_id else ""
    return "".join(
        f'<small class="error" role="alert"{attribute}>{_e(message)}</small>' for message in messages
    )


# The line fields whose errors the live totals refresh (`render_line_updates`).
LIVE_ERROR_FIELDS = ("description", "quantity", "unit", "unit_price", "discount")


def _field_errors(field_id: str, messages: Sequence[str], *, oob: bool = False) -> str:
    """A field's errors in a container that is always there: the live totals replace it
    (hx-swap-oob) on every refresh, so an error goes away as soon as the field is fixed, and
    invoices.js sets the field's aria-invalid to match."""
    swap = ' hx-swap-oob="true"' if oob else ""
    return (
        f'<span class="line__errors" id="{field_id}-error" data-error-for="{field_id}"{swap}>'
        f"{_errors(messages)}</span>"
    )


def _input(
    row: dict[str, Any], name: str, label: str, testid: str, css: str, *, amount: bool, attrs: str = ""
) -> str:
    p = row["prefix"]
    field_id = f"id_{p}{name}"
    errors = row["errors"].get(name, [])
    invalid = ' aria-invalid="true"' if errors else ""
    decimal = ' inputmode="decimal" class="num"' if amount else ""
    return (
        f'<div class="line__field {css}"><label class="line__label" for="{field_id}">{_e(label)}</label>'
        f'<input type="text" name="{p}{name}" id="{field_id}" value="{_e(row["values"].get(name))}"'
        f'{decimal}{attrs} autocomplete="off"{invalid} aria-describedby="{field_id}-error" '
        f'data-testid="{testid}">'
        f"{_field_errors(field_id, errors)}</div>"
    )


def _button(value: str, css: str, hx: str, title: str, label: str, sign: str, disabled: bool) -> str:
    return (
        f'<button type="submit" name="op" value="{value}" id="{value}" class="{css}" {hx}'
        f'{" disabled" if disabled else ""} title="{_e(title)}"><span aria-hidden="true">{sign}</span>'
        f'<span class="sr-only">{_e(label)}</span></button>'
    )


def tax_summary(row: dict[str, Any], no_tax: str, *, oob: bool = False) -> str:
    chips = "".join(f'<span class="chip">{_e(rate.name)}</span>' for rate in row["taxes"])
    chips = chips or f'<span class="muted">{_e(no_tax)}</span>'
    swap = ' hx-swap-oob="true"' if oob else ""
    return f'<span id="taxsum-{_e(row["key"])}" class="taxpick__sum"{swap}>{chips}</span>'


def render_line_updates(
    rows: list[dict[str, Any]], *, money: Callable[[Any], str], extra_fields: Sequence[str] = ()
) -> SafeString:
    """What the live totals change on each line: its amount, its taxes and the errors of the
    fields typed into (out-of-band swaps); `extra_fields`: more fields a builder shows."""
    no_tax = _("No tax")
    return mark_safe(  # noqa: S308 (every value is escaped)
        "".join(
            f'<output id="amount-{_e(row["key"])}" data-testid="line-amount" hx-swap-oob="true">'
            f"{_e(money(row['amount']) if row['amount'] is not None else '—')}</output>"
            f"{tax_summary(row, no_tax, oob=True)}"
            + "".join(
                _field_errors(f"id_{row['prefix']}{name}", row["errors"].get(name, []), oob=True)
                for name in (*LIVE_ERROR_FIELDS, *extra_fields)
            )
            for row in rows
        )
    )


def render_lines(
    rows: list[dict[str, Any]],
    *,
    action: str,
    tenant_slug: str,
    has_catalog: bool,
    catalog_select: bool,
    focus: str | None,
    money: Callable[[Any], str],
    unit_codes: bool = False,
    line_allowances: Mapping[str, str] | None = None,
    focus_allowance_add: str | None = None,
) -> SafeString:
    """`unit_codes`: show the UN/ECE unit code (BT-130) as a field offering the page's
    `unit-codes` datalist, rather than carrying it hidden. `line_allowances`: each line's
    allowance and charge rows (rendered HTML, by line key), under the line with a button to add
    one; None for a builder whose lines have none (quotes)."""
    texts = _Texts.now()
    unit_code_label = _("Unit code")
    fields_css = " line__fields--codes" if unit_codes else ""
    details = tuple(name for name in LINE_DETAILS if not (unit_codes and name == "unit_code"))
    catalog_url = reverse("catalog", args=[tenant_slug])
    action = _e(action)
    no_rates = (
        f'<p class="muted small">{_e(texts.no_rates)} <a href="{_e(catalog_url)}">{_e(texts.add_one)}</a></p>'
    )
    out = []
    last = len(rows) - 1
    for position, row in enumerate(rows):
        p, key, n, errors = row["prefix"], _e(row["key"]), {"n": row["number"]}, row["errors"]
        values = row["values"]
        hx = f'hx-post="{action}" hx-target="#builder-lines" hx-swap="outerHTML"'
        if not has_catalog:
            catalog = f'<input type="hidden" name="{p}catalog_item" value="{_e(values.get("catalog_item"))}">'
        else:
            pick = (
                f"""hx-post="{action}" hx-trigger="change" hx-vals='{{"op": "pick-{key}"}}' """
                'hx-target="#builder-lines" hx-swap="outerHTML" data-testid="catalog-pick"'
            )
            label = _e(texts.catalog_of % n)
            if catalog_select:
                picker = (
                    f'<select name="{p}catalog_item" id="id_{p}catalog_item" aria-label="{label}" {pick}>'
                    f'<option value="">{_e(texts.from_catalog)}</option>{row["catalog_options"]}</select>'
                )
            else:
                picker = (
                    f'<input name="{p}catalog_item" id="id_{p}catalog_item" list="catalog-items" '
                    f'value="{_e(values.get("catalog_item"))}" autocomplete="off" '
                    f'placeholder="{_e(texts.from_catalog)}" aria-label="{label}" {pick}>'
                )
            catalog = (
                f'<div class="line__catalog">{picker}<noscript><button type="submit" name="op" '
                f'value="pick-{key}" class="button button--ghost button--small">{_e(texts.use)}</button>'
                f"</noscript></div>"
            )
        boxes = (
            "".join(
                f'<label class="taxpick__option" for="id_{p}tax_rates_{index}"><input type="checkbox" '
                f'name="{p}tax_rates" value="{_e(value)}" id="id_{p}tax_rates_{index}"'
                f"{' checked' if checked else ''}> {_e(label)}</label>"
                for index, value, label, checked in row["tax_options"]
            )
            or no_rates
        )
        amount = money(row["amount"]) if row["amount"] is not None else "—"
        description_invalid = ' aria-invalid="true"' if errors.get("description") else ""
        autofocus = " autofocus" if focus and focus == row["key"] else ""
        error_class = " line--error" if errors else ""
        number = row["number"]
        hidden = (
            f'<input type="hidden" name="{p}key" value="{key}" id="id_{p}key">'
            f'<input type="hidden" name="{p}metadata" value="{_e(values.get("metadata"))}" '
            f'id="id_{p}metadata">'
            + "".join(
                f'<input type="hidden" name="{p}{name}" value="{_e(values.get(name))}">'
                for name in details
                if values.get(name)
            )
        )
        description = (
            f'<label class="sr-only" for="id_{p}description">{_e(texts.description_of % n)}</label>'
            f'<textarea name="{p}description" id="id_{p}description" rows="1" '
            f'class="line__description" placeholder="{_e(texts.placeholder)}"{autofocus}'
            f'{description_invalid} aria-describedby="id_{p}description-error" '
            'data-testid="line-description">'
            f"{_e(values.get('description'))}</textarea>"
        )
        messages = (
            _errors(errors.get("__all__", []))
            + _field_errors(f"id_{p}description", errors.get("description", []))
            + _errors(errors.get("catalog_item", []))
        )
        fields = (
            _input(row, "quantity", texts.quantity, "line-quantity", "line__qty", amount=True)
            + _input(row, "unit", texts.unit, "line-unit", "line__unit", amount=False)
            + (
                _input(
                    row,
                    "unit_code",
                    unit_code_label,
                    "line-unit-code",
                    "line__unitcode",
                    amount=False,
                    attrs=' list="unit-codes" maxlength="3"',
                )
                if unit_codes
                else ""
            )
            + _input(row, "unit_price", texts.unit_price, "line-price", "line__price", amount=True)
            + _input(row, "discount", texts.discount, "line-discount", "line__disc", amount=True)
        )
        taxes = (
            f'<div class="line__field line__taxes"><span class="line__label" id="taxes-label-{key}">'
            f'{_e(texts.taxes)}</span><details class="taxpick" data-testid="line-taxes">'
            f'<summary aria-labelledby="taxes-label-{key} taxsum-{key}">'
            f"{tax_summary(row, texts.no_tax)}</summary>"
            f'<fieldset class="taxpick__panel"><legend class="sr-only">{_e(texts.taxes_of % n)}</legend>'
            f"{boxes}</fieldset></details>{_errors(errors.get('tax_rates', []))}</div>"
        )
        buttons = (
            _button(f"up-{key}", "iconbtn", hx, texts.move_up, texts.move_up_n % n, "↑", position == 0)
            + _button(
                f"down-{key}", "iconbtn", hx, texts.move_down, texts.move_down_n % n, "↓", position == last
            )
            + _button(
                f"remove-{key}",
                "iconbtn iconbtn--danger",
                hx,
                texts.remove,
                texts.remove_n % n,
                "\u00d7",
                False,
            ).replace("<button ", '<button data-testid="line-remove" ', 1)
        )
        allowances = ""
        if line_allowances is not None:
            add_focus = " autofocus" if focus_allowance_add == row["key"] else ""
            allowances = (
                f'<div class="line__allowances">{line_allowances.get(row["key"], "")}'
                f'<button type="submit" name="op" value="lac-add-{key}" class="button button--ghost '
                f'button--small" {hx}{add_focus} data-testid="add-line-allowance">'
                f"{_e(texts.add_allowance)}"
                f'<span class="sr-only"> {_e(texts.add_allowance_n % n)}</span></button></div>'
            )
        out.append(
            f'<li class="line{error_class}" id="line-{key}" data-testid="line" '
            f'aria-label="{_e(texts.line % n)}">'
            f'<span class="line__num" aria-hidden="true">{number}</span><div class="line__body">{hidden}'
            f'<div class="line__top">{description}{catalog}</div>{messages}'
            f'<div class="line__fields{fields_css}">{fields}{taxes}</div>{allowances}</div>'
            f'<div class="line__side"><output id="amount-{key}" class="line__amount" '
            f'data-testid="line-amount" aria-label="{_e(texts.amount_of % n)}">{_e(amount)}</output>'
            f'<div class="line__buttons">{buttons}</div></div></li>'
        )
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)


def catalog_options(catalog: Sequence[CatalogItem]) -> str:
    """The catalog's <option>s, rendered once per page and shared by every line's picker."""
    return "".join(
        format_html(
            '<option value="{}">{}</option>',
            item.public_id,
            f"{item.name} — {money_tag(item.unit_price, item.currency)}"
            + (f" / {item.unit}" if item.unit else ""),
        )
        for item in catalog
    )


def line_row(
    line: LineForm, index: int, amount: Any, chosen: dict[str, TaxRate], options: str
) -> dict[str, Any]:
    """One line's values as `render_lines` and the live totals read them."""
    prefix = f"{line.prefix}-"
    data = cast(QueryDict, line.data)  # a bound form: the request's POST
    selected = set(data.getlist(prefix + "tax_rates"))
    catalog_value = data.get(prefix + "catalog_item", "")
    if catalog_value:
        options = options.replace(f'value="{_e(catalog_value)}"', f'value="{_e(catalog_value)}" selected', 1)
    return {
        "form": line,
        "prefix": prefix,
        "key": data.get(prefix + "key", ""),
        "number": index + 1,
        "amount": amount,
        "errors": line.errors,
        "values": {name: data.get(prefix + name, "") for name in (*LINE_FIELDS, *LINE_DETAILS)},
        "taxes": [chosen[value] for value in data.getlist(prefix + "tax_rates") if value in chosen],
        "tax_options": [
            (position, rate.public_id, str(rate), rate.public_id in selected)
            for position, rate in enumerate(chosen.values())
        ],
        "catalog_options": mark_safe(options),  # noqa: S308 (built by format_html)
    }


def blank_line(tax_rates: list[str] | None = None) -> dict[str, Any]:
    return {
        "key": new_line_key(),
        "catalog_item": "",
        "description": "",
        "quantity": "1",
        "unit": "",
        "unit_price": "",
        "discount": "",
        "metadata": "",
        "tax_rates": tax_rates or [],
    }
