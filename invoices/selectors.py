"""Reads for invoicing: lists with filters, balances, the dashboard.

Every function runs in the current tenant's scope (the scoped managers filter on it) and
issues a fixed number of queries whatever the amount of data: aggregates are computed by
the database (GROUP BY currency, month), never by loading rows into Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from invoices.models import (
    UNPAID_STATUSES,
    BankAccount,
    CatalogItem,
    Client,
    CompanyProfile,
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoiceStatus,
    NumberCounter,
    NumberSeries,
    Payment,
    SeriesKind,
    TaxRate,
    render_number,
)
from invoices.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, ZERO, quantize_money
from invoices.prefetch import prefetch_lines
from invoices.services.common import tenant_today
from invoices.services.numbering import default_series

OVERDUE = "overdue"
INVOICE_SORTS = {
    "number": ("kind", "number_period", "sequence", "pk"),
    "-number": ("kind", "-number_period", "-sequence", "-pk"),
    "issue_date": ("issue_date", "pk"),
    "-issue_date": ("-issue_date", "-pk"),
    "due_date": ("due_date", "pk"),
    "-due_date": ("-due_date", "-pk"),
    "total": ("total", "pk"),
    "-total": ("-total", "-pk"),
    "client": ("client__name", "pk"),
    "-client": ("-client__name", "-pk"),
    "status": ("status", "pk"),
    "-status": ("-status", "-pk"),
}


def _money_sum(expression: str, **filters: object) -> Coalesce:
    output = DecimalField(max_digits=MONEY_MAX_DIGITS + 4, decimal_places=MONEY_DECIMAL_PLACES)
    return Coalesce(
        Sum(expression, filter=Q(**filters) if filters else None, output_field=output),
        Value(Decimal(0)),
        output_field=output,
    )


def _overdue_q(today: date) -> Q:
    return Q(kind=InvoiceKind.INVOICE, status__in=UNPAID_STATUSES, balance_due__gt=0, due_date__lt=today)


# --- invoices --------------------------------------------------------------------------------


def invoice_list(
    *,
    status: str | None = None,
    client: Client | str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = "",
    kind: str | None = InvoiceKind.INVOICE,
    sort: str = "-issue_date",
    today: date | None = None,
) -> QuerySet[Invoice]:
    """Invoices of the current tenant, filtered and sorted; the caller paginates.

    `status` is one of InvoiceStatus or "overdue" (derived: open or partially paid, with a
    balance, past its due date). `client` is a Client or its public id. Dates filter on the
    issue date, both ends included. `search` matches the number or the client's name. `kind`
    None lists invoices and credit notes together. `sort` is a key of INVOICE_SORTS.
    """
    queryset = Invoice.objects.select_related("client")
    if kind:
        queryset = queryset.filter(kind=kind)
    if status == OVERDUE:
        queryset = queryset.filter(_overdue_q(today or tenant_today()))
    elif status:
        queryset = queryset.filter(status=status)
    if isinstance(client, Client):
        queryset = queryset.filter(client=client)
    elif client:
        queryset = queryset.filter(client__public_id=client)
    if date_from:
        queryset = queryset.filter(issue_date__gte=date_from)
    if date_to:
        queryset = queryset.filter(issue_date__lte=date_to)
    search = search.strip()
    if search:
        queryset = queryset.filter(Q(number__icontains=search) | Q(client__name__icontains=search))
    return queryset.order_by(*INVOICE_SORTS.get(sort, INVOICE_SORTS["-issue_date"]))


def invoice_get(*, public_id: str) -> Invoice | None:
    """One invoice of the current tenant with everything its page shows, or None (→ 404)."""
    invoice = (
        Invoice.objects.select_related("client", "credit_note_for", "created_by")
        .prefetch_related("tax_totals", "payments", "credit_notes")
        .filter(public_id=public_id)
        .first()
    )
    if invoice is not None:
        prefetch_lines(invoice)
    return invoice


def invoice_timeline(*, invoice: Invoice, limit: int = 200) -> list[InvoiceEvent]:
    """The invoice's activity, newest first, with who did it."""
    return list(InvoiceEvent.objects.filter(invoice=invoice).select_related("actor")[:limit])


def recent_activity(*, limit: int = 10) -> list[InvoiceEvent]:
    """The tenant's latest timeline entries across invoices (for the dashboard)."""
    return list(
        InvoiceEvent.objects.select_related("actor", "invoice", "invoice__client").order_by(
            "-created_at", "-pk"
        )[:limit]
    )


# --- clients ---------------------------------------------------------------------------------


def client_list(*, search: str = "", include_archived: bool = False) -> QuerySet[Client]:
    queryset = Client.objects.all()
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    search = search.strip()
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search) | Q(emails__icontains=search) | Q(tax_id__icontains=search)
        )
    return queryset.order_by("name", "pk")


def client_search(*, query: str, limit: int = 10) -> list[Client]:
    """Search-as-you-type for the invoice builder: active clients whose name matches."""
    query = query.strip()
    if not query:
        return list(client_list()[:limit])
    starts = client_list().filter(name__istartswith=query)[:limit]
    found = list(starts)
    if len(found) < limit:
        found += list(client_list(search=query).exclude(pk__in=[c.pk for c in found])[: limit - len(found)])
    return found


def client_get(*, public_id: str) -> Client | None:
    return Client.objects.filter(public_id=public_id).first()


@dataclass(frozen=True)
class Balance:
    """What a client owes (or what the tenant is owed) in one currency."""

    currency: str
    outstanding: Decimal
    overdue: Decimal
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    open_count: int = 0
    # Stand-alone credit notes (against no invoice): a credit the client holds, not yet set
    # against any invoice. Credit notes against an invoice are in that invoice's balance instead.
    credit: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        """What the client owes once its stand-alone credit is counted (negative: owed to it)."""
        return self.outstanding - self.credit


def client_balances(
    *, clients: Iterable[Client] | None = None, today: date | None = None
) -> dict[int, list[Balance]]:
    """Per client pk, per currency: outstanding, overdue, invoiced and paid. One query.

    `clients` limits the result (e.g. the page of a client list); None means all clients.
    Credit notes against an invoice reduce that invoice's balance already; stand-alone credit
    notes are summed apart as `credit` (each counted once); drafts and void documents don't count.
    """
    today = today or tenant_today()
    invoice = {"kind": InvoiceKind.INVOICE}
    queryset = Invoice.objects.filter(
        Q(kind=InvoiceKind.INVOICE) | Q(kind=InvoiceKind.CREDIT_NOTE, credit_note_for__isnull=True)
    ).exclude(status__in=(InvoiceStatus.DRAFT, InvoiceStatus.VOID))
    if clients is not None:
        queryset = queryset.filter(client__in=[client.pk for client in clients])
    rows = (
        queryset.values("client_id", "currency")
        .annotate(
            outstanding=_money_sum("balance_due", status__in=UNPAID_STATUSES, **invoice),
            overdue=_money_sum("balance_due", status__in=UNPAID_STATUSES, due_date__lt=today, **invoice),
            invoiced=_money_sum("total", **invoice),
            paid=_money_sum("amount_paid", **invoice),
            open_count=Count("pk", filter=Q(status__in=UNPAID_STATUSES, **invoice)),
            credit=_money_sum("total", kind=InvoiceKind.CREDIT_NOTE),
        )
        .order_by("client_id", "currency")
    )
    balances: dict[int, list[Balance]] = defaultdict(list)
    for row in rows:
        currency = row["currency"]
        balances[row["client_id"]].append(
            Balance(
                currency=currency,
                outstanding=quantize_money(row["outstanding"], currency),
                overdue=quantize_money(row["overdue"], currency),
                invoiced=quantize_money(row["invoiced"], currency),
                paid=quantize_money(row["paid"], currency),
                open_count=row["open_count"],
                credit=quantize_money(row["credit"], currency),
            )
        )
    return dict(balances)


# --- settings --------------------------------------------------------------------------------


def tax_rate_list(*, include_archived: bool = False) -> QuerySet[TaxRate]:
    queryset = TaxRate.objects.all()
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    return queryset.order_by("name", "pk")


def catalog_item_list(*, search: str = "", include_archived: bool = False) -> QuerySet[CatalogItem]:
    queryset = CatalogItem.objects.prefetch_related("item_taxes__tax_rate")
    if not include_archived:
        queryset = queryset.filter(archived_at__isnull=True)
    search = search.strip()
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return queryset.order_by("name", "pk")


def number_series_get(*, kind: str) -> NumberSeries:
    """The tenant's series for `kind`, or an unsaved one with the default pattern."""
    return NumberSeries.objects.filter(kind=kind).first() or default_series(kind)


def number_preview(*, kind: str = SeriesKind.INVOICE, on: date | None = None) -> str:
    """The number the next finalized document of `kind` dated `on` would get. Takes nothing."""
    on = on or tenant_today()
    series = number_series_get(kind=kind)
    counter = (
        NumberCounter.objects.filter(series=series, period=series.period_for(on)).first()
        if series.pk
        else None
    )
    return render_number(series.pattern, sequence=counter.next_value if counter else 1, on=on)


# --- dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    month: date  # the first day of the month
    invoiced: Decimal
    paid: Decimal


@dataclass(frozen=True)
class Dashboard:
    today: date
    outstanding: dict[str, Decimal] = field(default_factory=dict)
    overdue: dict[str, Decimal] = field(default_factory=dict)
    overdue_count: int = 0
    paid_this_month: dict[str, Decimal] = field(default_factory=dict)
    months: list[date] = field(default_factory=list)
    # currency -> 12 points, oldest first (one per entry of `months`)
    monthly: dict[str, list[MonthPoint]] = field(default_factory=dict)

    @property
    def currencies(self) -> list[str]:
        return sorted(set(self.outstanding) | set(self.paid_this_month) | set(self.monthly))


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _months_back(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def _as_date(value: date) -> date:
    # TruncMonth over a DateField gives a date on PostgreSQL and SQLite alike; be lenient.
    return value.date() if isinstance(value, datetime) else value


def dashboard(*, today: date | None = None) -> Dashboard:
    """Outstanding, overdue and paid-this-month totals per currency, and invoiced vs paid per
    month for the last 12 months. Four queries, whatever the number of invoices.

    Invoiced = totals of finalized, non-void invoices by issue month (credit notes not
    deducted); paid = payments by payment date.
    """
    today = today or tenant_today()
    months = _months_back(today, 12)
    first_month = months[0]

    unpaid = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, status__in=UNPAID_STATUSES)
        .values("currency")
        .annotate(
            outstanding=_money_sum("balance_due"),
            overdue=_money_sum("balance_due", due_date__lt=today),
            overdue_count=Count("pk", filter=Q(due_date__lt=today, balance_due__gt=0)),
        )
        .order_by("currency")
    )
    outstanding, overdue, overdue_count = {}, {}, 0
    for row in unpaid:
        outstanding[row["currency"]] = quantize_money(row["outstanding"], row["currency"])
        if row["overdue"]:
            overdue[row["currency"]] = quantize_money(row["overdue"], row["currency"])
        overdue_count += row["overdue_count"]

    payments = (
        Payment.objects.filter(paid_on__gte=first_month, paid_on__lte=today)
        .annotate(month=TruncMonth("paid_on"))
        .values("currency", "month")
        .annotate(amount=_money_sum("amount"))
        .order_by("currency", "month")
    )
    invoiced = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, issue_date__gte=first_month, issue_date__lte=today)
        .exclude(status__in=(InvoiceStatus.DRAFT, InvoiceStatus.VOID))
        .annotate(month=TruncMonth("issue_date"))
        .values("currency", "month")
        .annotate(amount=_money_sum("total"))
        .order_by("currency", "month")
    )
    paid_by: dict[tuple[str, date], Decimal] = {
        (row["currency"], _as_date(row["month"])): row["amount"] for row in payments
    }
    invoiced_by: dict[tuple[str, date], Decimal] = {
        (row["currency"], _as_date(row["month"])): row["amount"] for row in invoiced
    }
    currencies = sorted({currency for currency, _ in paid_by} | {currency for currency, _ in invoiced_by})
    monthly = {
        currency: [
            MonthPoint(
                month=month,
                invoiced=quantize_money(invoiced_by.get((currency, month), ZERO), currency),
                paid=quantize_money(paid_by.get((currency, month), ZERO), currency),
            )
            for month in months
        ]
        for currency in currencies
    }
    this_month = _month_start(today)
    paid_this_month = {
        currency: quantize_money(amount, currency)
        for (currency, month), amount in paid_by.items()
        if month == this_month and amount
    }
    return Dashboard(
        today=today,
        outstanding=outstanding,
        overdue=overdue,
        overdue_count=overdue_count,
        paid_this_month=paid_this_month,
        months=months,
        monthly=monthly,
    )


# --- the seller's bank accounts ----------------------------------------------------------------


def bank_account_list() -> list[BankAccount]:
    return list(BankAccount.objects.all())


def bank_account_get(*, public_id: str) -> BankAccount | None:
    return BankAccount.objects.filter(public_id=public_id).first()


@dataclass(frozen=True)
class Onboarding:
    """A new workspace's first steps, each done or not."""

    company_profile: bool
    bank_account: bool
    first_client: bool
    first_invoice: bool

    @property
    def complete(self) -> bool:
        return self.company_profile and self.bank_account and self.first_client and self.first_invoice


def onboarding() -> Onboarding:
    return Onboarding(
        company_profile=any(profile.has_address for profile in CompanyProfile.objects.all()[:1]),
        bank_account=BankAccount.objects.exists(),
        first_client=Client.objects.exists(),
        first_invoice=Invoice.objects.exclude(status=InvoiceStatus.DRAFT).exists(),
    )
