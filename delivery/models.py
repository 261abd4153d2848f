"""Emails to clients, their delivery state, reminders, late fees and recurring invoices.

They were rows of the `invoices` app until delivery became its own app, and keep its tables
(`Meta.db_table`; delivery/migrations/0001_initial moved them in the migration state). All are
behind row-level security. Delivery webhooks arrive with no tenant: `ProviderMessageIndex`
(message id → tenant, message public id; no content), read through its lookup door
(tenants/doors.py), is what lets the webhook enter the right tenant's scope, as
`PublicInvoiceLink` does for links.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from invoices.models import MoneyField
from invoices.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from tenants.models import new_public_id
from tenants.scoping import TenantOwnedModel


def _message_id() -> str:
    return new_public_id("msg")


def _recurring_id() -> str:
    return new_public_id("rec")


def validate_day_list(value: object) -> None:
    """Reminder intervals after the due date: distinct whole days, 1 to 365."""
    if not isinstance(value, list) or not all(
        isinstance(day, int) and not isinstance(day, bool) for day in value
    ):
        raise ValidationError(_("Enter whole numbers of days."), code="bad_days")
    if any(day < 1 or day > 365 for day in value):
        raise ValidationError(_("Each interval must be between 1 and 365 days."), code="bad_days")
    if len(set(value)) != len(value):
        raise ValidationError(_("Each interval may appear once."), code="bad_days")
    if len(value) > 12:
        raise ValidationError(_("At most 12 reminders after the due date."), code="bad_days")


# --- outgoing email -------------------------------------------------------------------------


class MessageKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    REMINDER = "reminder", _("Payment reminder")
    BOUNCE_NOTICE = "bounce_notice", _("Bounce notice")
    BULK_READY = "bulk_ready", _("Bulk documents ready")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")
    FAILED = "failed", _("Failed")
    # A reminder whose invoice was paid or voided between queueing and sending.
    CANCELLED = "cancelled", _("Cancelled")


# A later state never goes back to an earlier one (a late "delivered" after a bounce of the
# same message does not hide the bounce).
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.FAILED: 1,
    MessageStatus.CANCELLED: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.COMPLAINED: 4,
    MessageStatus.BOUNCED: 5,
}


class OutgoingMessage(TenantOwnedModel):
    """One email (to one or more recipients), from queued to its last delivery event."""

    public_id = models.CharField(max_length=32, unique=True, default=_message_id, editable=False)
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    invoice = models.ForeignKey(
        "invoices.Invoice", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=200)
    # The editable message paragraph(s); the template wraps them with branding, amount and link.
    body = models.TextField(blank=True)
    language = models.CharField(max_length=16, default="en")
    attach_pdf = models.BooleanField(default=False)
    include_link = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    # Per recipient: {"a@example.com": "delivered", "b@example.com": "bounced"}.
    recipient_status = models.JSONField(default=dict, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Free data for the kind (reminder step, bulk job id, bounced address...).
    context = models.JSONField(default=dict, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "invoices_outgoingmessage"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "invoice", "-created_at"], name="outgoing_message_invoice")]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} ({self.status})"

    @property
    def is_problem(self) -> bool:
        return self.status in (MessageStatus.FAILED, MessageStatus.BOUNCED, MessageStatus.COMPLAINED)


class ProviderMessageIndex(models.Model):
    """The provider's message id → tenant and message public id. Written in the tenant's scope.

    Holds no content. A tracking webhook finds it through `lookup_door_provider_message` before
    it knows the tenant, then does everything else inside `tenant_scope(tenant)`.
    """

    provider_message_id = models.CharField(max_length=255, unique=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    # A string, not a foreign key: a platform table must not point into a tenant-owned one.
    message_public_id = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "invoices_providermessageindex"

    def __str__(self) -> str:
        return f"{self.provider_message_id} → {self.message_public_id}"


class BounceKind(models.TextChoices):
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")


class ClientEmailProblem(TenantOwnedModel):
    """A client's address that bounced (or complained): shown on the client and the send form
    until someone clears it (fixing the address or confirming it works again)."""

    client = models.ForeignKey("invoices.Client", on_delete=models.CASCADE, related_name="email_problems")
    email = models.EmailField()
    kind = models.CharField(max_length=16, choices=BounceKind.choices)
    description = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(
        OutgoingMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "invoices_clientemailproblem"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "email"],
                condition=models.Q(cleared_at__isnull=True),
                name="client_email_problem_open_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.kind}"


# --- settings: attachments, reminders, late fees ---------------------------------------------


class LateFeeKind(models.TextChoices):
    NONE = "none", _("No late fee")
    FIXED = "fixed", _("Fixed amount")
    PERCENT = "percent", _("Percentage of the balance")


class CreateMode(models.TextChoices):
    DRAFT = "draft", _("Create a draft for me to review")
    SEND = "send", _("Finalize and email it to the client")


DEFAULT_AFTER_DAYS = [3, 7, 14, 30]


class SendingSettings(TenantOwnedModel):
    """How one tenant emails invoices and chases late payments. One row per tenant, created
    with defaults the first time it is read."""

    attach_pdf = models.BooleanField(
        _("attach the PDF"),
        default=True,
        help_text=_("Off: emails carry only the link to the invoice page (link-only)."),
    )
    reminders_enabled = models.BooleanField(_("send payment reminders"), default=False)
    remind_days_before = models.PositiveSmallIntegerField(
        _("days before the due date"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Leave empty for no reminder before the due date."),
    )
    remind_on_due = models.BooleanField(_("on the due date"), default=True)
    remind_after_days = models.JSONField(
        _("days after the due date"), default=list, blank=True, validators=[validate_day_list]
    )
    late_fee_kind = models.CharField(
        _("late fee"), max_length=8, choices=LateFeeKind.choices, default=LateFeeKind.NONE
    )
    late_fee_value = models.DecimalField(
        _("late fee amount or percentage"),
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        default=0,
        validators=[MinValueValidator(0)],
    )
    late_fee_after_days = models.PositiveSmallIntegerField(
        _("charge it this many days after the due date"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    late_fee_mode = models.CharField(
        _("late fee invoice"), max_length=8, choices=CreateMode.choices, default=CreateMode.DRAFT
    )
    updated_at = UpdatedAtField()

    class Meta:
        db_table = "invoices_sendingsettings"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="sending_settings_one_per_tenant"),
            # The rules clean() enforces, held by the database too.
            models.CheckConstraint(
                condition=models.Q(late_fee_value__gte=0), name="sending_settings_late_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(late_fee_kind=LateFeeKind.PERCENT) | models.Q(late_fee_value__lte=100),
                name="sending_settings_late_fee_percent_at_most_100",
            ),
        ]
        verbose_name_plural = "sending settings"

    def __str__(self) -> str:
        return f"sending settings of {self.tenant_id}"

    def clean(self) -> None:
        if self.late_fee_kind == LateFeeKind.PERCENT and self.late_fee_value > 100:
            raise ValidationError({"late_fee_value": _("A percentage cannot exceed 100.")})
        if self.late_fee_kind != LateFeeKind.NONE and self.late_fee_value <= 0:
            raise ValidationError({"late_fee_value": _("Enter the late fee's amount or percentage.")})


class ClientReminderOverride(TenantOwnedModel):
    """A client's own reminder schedule, replacing the tenant's for that client."""

    client = models.OneToOneField(
        "invoices.Client", on_delete=models.CASCADE, related_name="reminder_override"
    )
    reminders_enabled = models.BooleanField(_("send payment reminders"), default=True)
    remind_days_before = models.PositiveSmallIntegerField(
        _("days before the due date"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    remind_on_due = models.BooleanField(_("on the due date"), default=True)
    remind_after_days = models.JSONField(
        _("days after the due date"), default=list, blank=True, validators=[validate_day_list]
    )
    updated_at = UpdatedAtField()

    class Meta:
        db_table = "invoices_clientreminderoverride"

    def __str__(self) -> str:
        return f"reminder override of {self.client_id}"


class ReminderSent(TenantOwnedModel):
    """One reminder step of one invoice, claimed (inserted) before its email is queued: the
    unique constraint makes a second scheduler run, or a concurrent one, send nothing."""

    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.CASCADE, related_name="reminders_sent")
    # "before-3", "due", "after-7".
    step = models.CharField(max_length=16)
    message = models.ForeignKey(
        OutgoingMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "invoices_remindersent"
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["invoice", "step"], name="reminder_sent_once")]

    def __str__(self) -> str:
        return f"{self.step} of {self.invoice_id}"


class LateFee(TenantOwnedModel):
    """The late fee of one invoice, at most once: a follow-up invoice that references it
    (the original is finalized and immutable, so the fee cannot be a line on it)."""

    invoice = models.OneToOneField("invoices.Invoice", on_delete=models.CASCADE, related_name="late_fee")
    fee_invoice = models.ForeignKey(
        "invoices.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = MoneyField(required=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "invoices_latefee"

    def __str__(self) -> str:
        return f"late fee {self.amount} on {self.invoice_id}"


# --- recurring invoices ---------------------------------------------------------------------


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class RecurringTemplate(TenantOwnedModel):
    """An invoice made again every period: client, lines (with their taxes), currency, schedule."""

    public_id = models.CharField(max_length=32, unique=True, default=_recurring_id, editable=False)
    name = models.CharField(_("name"), max_length=120)
    client = models.ForeignKey(
        "invoices.Client", on_delete=models.PROTECT, related_name="recurring_templates"
    )
    currency = models.CharField(_("currency"), max_length=3)
    # [{"description", "quantity", "unit_price", "unit", "tax_rates": [public ids]}]
    lines = models.JSONField(default=list)
    notes = models.TextField(_("notes"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    frequency = models.CharField(_("every"), max_length=16, choices=Frequency.choices)
    day_of_month = models.PositiveSmallIntegerField(
        _("on day of the month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("Monthly, quarterly and yearly: 29 to 31 fall on the last day of shorter months."),
    )
    start_date = models.DateField(_("first period starts"))
    end_date = models.DateField(_("last period starts no later than"), null=True, blank=True)
    mode = models.CharField(
        _("each period"), max_length=8, choices=CreateMode.choices, default=CreateMode.DRAFT
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    # The services act for this member (the invoice's "created by"); an owner if they left.
    created_by = models.ForeignKey(
        "tenants.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The next period start not yet handled: the dispatcher's cursor (runs are the guarantee).
    next_period_start = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()

    class Meta:
        db_table = "invoices_recurringtemplate"
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class RecurringRunStatus(models.TextChoices):
    CREATED = "created", _("Invoice created")
    FAILED = "failed", _("Failed")


class RecurringRun(TenantOwnedModel):
    """One period of one template, inserted before its invoice is made: exactly one per period."""

    template = models.ForeignKey(RecurringTemplate, on_delete=models.CASCADE, related_name="runs")
    period_start = models.DateField()
    invoice = models.ForeignKey(
        "invoices.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RecurringRunStatus.choices)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "invoices_recurringrun"
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["template", "period_start"], name="recurring_run_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.template_id} {self.period_start} ({self.status})"
