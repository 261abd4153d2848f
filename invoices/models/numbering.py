"""Number series and their per-period counters: gapless invoice numbers."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from tenants.scoping import TenantOwnedModel

# --- numbering -----------------------------------------------------------------------------


class SeriesKind(models.TextChoices):
    INVOICE = "invoice", _("Invoices")
    CREDIT_NOTE = "credit_note", _("Credit notes")
    QUOTE = "quote", _("Quotes")


class NumberReset(models.TextChoices):
    YEARLY = "yearly", _("Every year")
    NEVER = "never", _("Never")


NUMBER_TOKEN = re.compile(r"\{(YYYY|YY|MM|SEQ(?::0?([1-9]))?)\}")
NUMBER_LITERAL = re.compile(r"^[A-Za-z0-9\-_/.# ]*$")
DEFAULT_PATTERNS = {
    SeriesKind.INVOICE: "INV-{YYYY}-{SEQ:05}",
    SeriesKind.CREDIT_NOTE: "CN-{YYYY}-{SEQ:05}",
    SeriesKind.QUOTE: "QUO-{YYYY}-{SEQ:05}",
}


def validate_number_pattern(pattern: str) -> None:
    """Tokens: {YYYY}, {YY}, {MM}, and exactly one {SEQ} or {SEQ:0N} (zero-padded to N)."""
    tokens = NUMBER_TOKEN.findall(pattern)
    if sum(1 for token, _width in tokens if token.startswith("SEQ")) != 1:
        raise ValidationError(_("The pattern needs exactly one {SEQ} (or {SEQ:05} for zero-padding)."))
    literal = NUMBER_TOKEN.sub("", pattern)
    if "{" in literal or "}" in literal:
        raise ValidationError(_("Unknown placeholder: use {YYYY}, {YY}, {MM} and {SEQ} or {SEQ:05}."))
    if not NUMBER_LITERAL.match(literal):
        raise ValidationError(_("Use letters, digits, spaces and - _ / . # around the placeholders."))


def render_number(pattern: str, *, sequence: int, on: date) -> str:
    def replace(match: re.Match[str]) -> str:
        placeholder, width = match.group(1), match.group(2)
        if placeholder == "YYYY":
            return f"{on.year:04d}"
        if placeholder == "YY":
            return f"{on.year % 100:02d}"
        if placeholder == "MM":
            return f"{on.month:02d}"
        return str(sequence).zfill(int(width) if width else 0)

    return NUMBER_TOKEN.sub(replace, pattern)


class NumberSeries(TenantOwnedModel):
    """How one tenant numbers one kind of document. Counters live in `NumberCounter`."""

    kind = models.CharField(max_length=16, choices=SeriesKind.choices)
    pattern = models.CharField(_("pattern"), max_length=40, validators=[validate_number_pattern])
    reset = models.CharField(_("restart numbering"), max_length=8, choices=NumberReset.choices)
    updated_at = UpdatedAtField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind"], name="number_series_unique")]
        verbose_name_plural = "number series"

    def __str__(self) -> str:
        return f"{self.kind}: {self.pattern}"

    def clean(self) -> None:
        if self.reset == NumberReset.YEARLY and not re.search(r"\{YY(YY)?\}", self.pattern or ""):
            raise ValidationError(
                {"pattern": _("A yearly restart needs the year ({YYYY} or {YY}) in the pattern.")}
            )

    def period_for(self, on: date) -> str:
        return f"{on.year:04d}" if self.reset == NumberReset.YEARLY else ""


class NumberCounter(TenantOwnedModel):
    """The next sequence number of one series in one period ("2026", or "" when never reset).

    Finalization locks this row with SELECT … FOR UPDATE inside its transaction: a second
    finalizer waits until the first commits (and then reads the incremented value) or rolls
    back (and then reuses the number it had taken). Hence no gap and no duplicate.
    """

    series = models.ForeignKey(NumberSeries, on_delete=models.CASCADE, related_name="counters")
    period = models.CharField(max_length=8, blank=True)
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "series", "period"], name="number_counter_unique")
        ]
