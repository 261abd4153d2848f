"""The body of a stand-alone credit note (POST /api/v1/credit-notes/): a client, a currency and
its own lines, referring to no invoice. A credit note against an invoice is posted to
/api/v1/invoices/{id}/credit-notes/ (api.serializers.CreditNoteWriteSerializer)."""

from __future__ import annotations

from rest_framework import serializers

from api.allowance_serializers import allowances_charges_write
from api.serializers import LineWriteSerializer, public_id_field
from invoices import limits


class StandaloneCreditNoteWriteSerializer(serializers.Serializer):
    client = public_id_field(help_text="The client credited (a client of this workspace).")
    currency = serializers.CharField(max_length=3, help_text="An ISO 4217 code, e.g. EUR.")
    # drf-stubs leave out the max_length that many=True passes on to the ListSerializer.
    lines = LineWriteSerializer(many=True, max_length=limits.MAX_LINES)  # type: ignore[call-arg]
    reason = serializers.CharField(max_length=limits.CREDIT_REASON_MAX, required=False, allow_blank=True)
    issue_date = serializers.DateField(required=False, help_text="Default: today, in the workspace.")
    allowances_charges = allowances_charges_write()
    buyer_reference = serializers.CharField(
        max_length=limits.BUYER_REFERENCE_MAX,
        required=False,
        allow_blank=True,
        help_text="BT-10, e.g. the client's order number (Peppol asks for it).",
    )
