"""E-invoices of finalized invoices: generated on demand, validated, cached by content version.

`einvoice_get(invoice, fmt)` returns the file of one format (UBL, CII, XRechnung, or the
Factur-X PDF with its XML inside), proven valid by the official rules. It is stored under a key
derived from (tenant, invoice, content version, format), like the PDFs (`storage.py`): asking
again for the same version reads the stored file; a new version gets a new one. A document that
breaks a fatal rule is never stored or returned: `EInvoiceUnavailable` carries the rules, in
plain words and with the field to fill in, and that verdict is cached for the version too
(`einvoice_status` answers the invoice page without validating again).

Saxon's compiled stylesheets are kept per process (`einvoicing.validation`); Celery workers
compile them when they start (`documents.tasks`), web processes on their first e-invoice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from core.countries import EU_MEMBER_STATES
from core.errors import ApplicationError
from documents import storage
from documents.einvoice_mapping import MappingError, to_einvoice
from documents.render import html_to_facturx_pdf, load_invoice_for_render, render_invoice_html
from einvoicing.explanations import explain
from einvoicing.formats import is_leitweg_id
from einvoicing.generate import generate_validated, generate_xml
from einvoicing.model import Invoice as EInvoiceModel
from einvoicing.syntax import Format
from einvoicing.validation import EInvoiceInvalid, RuleResult
from invoices.models import Invoice

EXTENSIONS = {
    Format.UBL: "ubl.xml",
    Format.CII: "cii.xml",
    Format.XRECHNUNG_UBL: "xrechnung-ubl.xml",
    Format.XRECHNUNG_CII: "xrechnung-cii.xml",
    Format.FACTURX: "facturx.pdf",
}
CONTENT_TYPES = dict.fromkeys(Format, "application/xml") | {Format.FACTURX: "application/pdf"}
VERDICT_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Problem:
    """One reason a document cannot be produced, as the page and the API show it."""

    rule_id: str
    explanation: str  # plain words
    field: str  # what to fill in
    message: str = ""  # the rule's own text
    rule_set: str = ""


class EInvoiceUnavailable(ApplicationError):
    """The invoice cannot be given in this format (yet): the problems say why."""

    def __init__(self, fmt: Format, problems: list[Problem]) -> None:
        self.format = fmt
        self.problems = problems
        details = "; ".join(f"{p.rule_id}: {p.explanation}" for p in problems[:5])
        super().__init__(
            _("The %(format)s e-invoice cannot be produced: %(details)s")
            % {"format": fmt.label, "details": details},
            code="einvoice_invalid",
            field="format",
        )


def _problem(result: RuleResult) -> Problem:
    return Problem(
        rule_id=result.rule_id,
        explanation=result.explanation or result.message,
        field=result.field,
        message=result.message,
        rule_set=result.rule_set,
    )


def facturx_enabled(invoice: Invoice) -> bool:
    """Factur-X for this invoice: the client's setting, else the workspace's, else on for
    sellers in the EU."""
    client_choice = getattr(invoice.client, "facturx", None)
    if client_choice is not None:
        return client_choice
    tenant_choice = getattr(invoice.tenant, "facturx", None)
    if tenant_choice is not None:
        return tenant_choice
    country = (invoice.seller_snapshot or {}).get("country") or invoice.tenant.country
    return str(country).upper() in EU_MEMBER_STATES


def offered_formats(invoice: Invoice) -> tuple[Format, ...]:
    """The formats this finalized invoice is offered in (before validation): UBL and CII
    always, Factur-X when it is on, XRechnung when the buyer reference is a Leitweg-ID."""
    if invoice.is_draft or invoice.status == "void" or not invoice.number:
        return ()
    formats = [Format.UBL, Format.CII]
    if facturx_enabled(invoice):
        formats.append(Format.FACTURX)
    if is_leitweg_id(invoice.buyer_reference):
        formats += [Format.XRECHNUNG_UBL, Format.XRECHNUNG_CII]
    return tuple(formats)


def storage_key(invoice: Invoice, fmt: Format) -> str:
    return storage.document_storage_key(
        tenant_public_id=invoice.tenant.public_id,
        invoice_public_id=invoice.public_id,
        content_version=invoice.content_version,
        format=EXTENSIONS[fmt],
    )


def _verdict_key(key: str) -> str:
    return f"einvoice-verdict:{key}"


def einvoice_filename(invoice: Invoice, fmt: Format) -> str:
    return f"{invoice.number}.{EXTENSIONS[fmt]}"


def _check_offered(invoice: Invoice, fmt: Format) -> None:
    if invoice.is_draft or not invoice.number:
        raise ApplicationError(_("Finalize the invoice first: e-invoices are made of finalized invoices."))
    if fmt not in offered_formats(invoice):
        raise ApplicationError(
            _("This invoice is not offered as %(format)s.") % {"format": fmt.label}, field="format"
        )


def _generate(invoice: Invoice, fmt: Format) -> tuple[Any, bytes]:
    """(the invoice with its rows, the validated XML). Raises EInvoiceUnavailable and caches
    that verdict for this content version."""
    full = load_invoice_for_render(invoice_pk=invoice.pk)
    return full, _validated_xml(full, fmt, _model_of(full, fmt))


def _model_of(full: Any, fmt: Format) -> EInvoiceModel:
    """The EN 16931 model of the invoice (reads its rows: call it in the tenant's scope)."""
    try:
        return to_einvoice(full)
    except MappingError as error:
        problem = Problem(rule_id="InvoiceFlow", explanation=str(error), field=error.field)
        _remember_failure(full, fmt, [problem])
        raise EInvoiceUnavailable(fmt, [problem]) from error


def _validated_xml(invoice: Invoice, fmt: Format, model: EInvoiceModel) -> bytes:
    """The model's XML in `fmt`, checked by every rule set that applies (no database)."""
    try:
        xml, _report = generate_validated(model, fmt)
    except EInvoiceInvalid as error:
        problems = [_problem(r) for r in error.report.fatal]
        _remember_failure(invoice, fmt, problems)
        raise EInvoiceUnavailable(fmt, problems) from error
    return xml


def _remember_failure(invoice: Invoice, fmt: Format, problems: list[Problem]) -> None:
    cache.set(_verdict_key(storage_key(invoice, fmt)), [asdict(p) for p in problems], VERDICT_SECONDS)


def _remember_valid(invoice: Invoice, fmt: Format) -> None:
    cache.set(_verdict_key(storage_key(invoice, fmt)), [], VERDICT_SECONDS)


def cached_problems(invoice: Invoice, fmt: Format) -> tuple[Problem, ...] | None:
    """The known verdict of this version in `fmt` without checking anything: its problems,
    () when it is known valid, None when it was not checked yet (or the cache forgot)."""
    try:
        known = _cached_verdict(invoice, fmt)
    except EInvoiceUnavailable as error:
        return tuple(error.problems)
    return () if known else None


def _cached_verdict(invoice: Invoice, fmt: Format) -> bool | None:
    """True: known valid; False never (a known failure raises); None: not checked yet."""
    verdict = cache.get(_verdict_key(storage_key(invoice, fmt)))
    if verdict is None:
        return None
    if verdict:
        raise EInvoiceUnavailable(fmt, [_in_reader_language(Problem(**p)) for p in verdict])
    return True


def _in_reader_language(problem: Problem) -> Problem:
    """A cached verdict was worded in the language of whoever checked first: say a known rule
    again in the active language."""
    explanation, field = explain(problem.rule_id)
    return replace(problem, explanation=explanation, field=field) if explanation else problem


def _facturx_pdf(full: Any, xml: bytes) -> bytes:
    return html_to_facturx_pdf(render_invoice_html(full), xml, title=full.number or "")


def einvoice_get(*, invoice: Invoice, fmt: Format | str) -> bytes:
    """The invoice's e-invoice in `fmt`, valid by every rule set that applies.

    Raises `EInvoiceUnavailable` (which rules failed, in plain words) or `ApplicationError`
    (a draft, or a format not offered for this invoice).
    """
    fmt = Format(fmt)
    _check_offered(invoice, fmt)
    key = storage_key(invoice, fmt)
    if storage.exists(key):
        return storage.read(key)
    _cached_verdict(invoice, fmt)
    full, xml = _generate(invoice, fmt)
    content = _facturx_pdf(full, xml) if fmt == Format.FACTURX else xml
    storage.store_exact(key, content)
    _remember_valid(invoice, fmt)
    return content


@dataclass(frozen=True)
class FormatStatus:
    format: Format
    label: str
    filename: str
    problems: tuple[Problem, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.problems


def einvoice_status(*, invoice: Invoice) -> list[FormatStatus]:
    """Each offered format of the invoice and whether it can be downloaded (what the invoice
    page shows). A stored file or a cached verdict answers at once; otherwise the XML is
    generated and validated now and kept (a Factur-X PDF is rendered only when downloaded:
    its XML is what the rules check)."""
    return [
        FormatStatus(
            fmt, fmt.label, einvoice_filename(invoice, fmt), einvoice_problems(invoice=invoice, fmt=fmt)
        )
        for fmt in offered_formats(invoice)
    ]


def einvoice_problems(*, invoice: Invoice, fmt: Format) -> tuple[Problem, ...]:
    """Why the invoice cannot be given in `fmt` (nothing: it can), from the stored file or the
    cached verdict when there is one, else checked now (the XML only; no PDF is rendered)."""
    try:
        _verify(invoice, fmt)
    except EInvoiceUnavailable as error:
        return tuple(error.problems)
    return ()


def _verify(invoice: Invoice, fmt: Format) -> None:
    key = storage_key(invoice, fmt)
    if storage.exists(key) or _cached_verdict(invoice, fmt):
        return
    _full, xml = _generate(invoice, fmt)
    if fmt != Format.FACTURX:
        storage.store_exact(key, xml)
    _remember_valid(invoice, fmt)


# --- the invoice's own PDF as Factur-X (documents.invoice_pdf) ---------------------------------


@dataclass(frozen=True)
class FacturxPlan:
    """What the invoice's own PDF needs to be a Factur-X, gathered in the tenant's scope."""

    key: str  # where the Factur-X PDF of this version is stored (the Factur-X download's file)
    model: EInvoiceModel
    known_valid: bool  # this version's CII passed every rule already: generate, do not check again
    invoice: Invoice


def facturx_plan(full: Any) -> FacturxPlan | None:
    """For a finalized invoice whose PDF is to be Factur-X (`facturx_enabled`): its model,
    unless its CII is already known to break a rule (then None: the PDF is plain, and the
    cached verdict says why). None too for drafts, void invoices and Factur-X turned off."""
    if Format.FACTURX not in offered_formats(full):
        return None
    known = cached_problems(full, Format.FACTURX)
    if known:
        return None
    try:
        model = _model_of(full, Format.FACTURX)
    except EInvoiceUnavailable:
        return None
    return FacturxPlan(storage_key(full, Format.FACTURX), model, known == (), full)


def facturx_plan_xml(plan: FacturxPlan) -> bytes | None:
    """The plan's CII, valid by the schema, CEN EN 16931 and Factur-X rules, or None when a
    fatal assertion fails (the verdict is cached for the version: the page shows the rules).
    A version already proven valid is generated again (milliseconds), not checked again."""
    if plan.known_valid:
        return generate_xml(plan.model, Format.FACTURX)
    try:
        xml = _validated_xml(plan.invoice, Format.FACTURX, plan.model)
    except EInvoiceUnavailable:
        return None
    _remember_valid(plan.invoice, Format.FACTURX)
    return xml
