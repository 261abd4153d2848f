"""The public-link index and the provider message index behind row-level security, found by the
lookup doors on a link token's hash and on the provider's message id."""

from django.db import migrations

import tenants.doors
import tenants.rls


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0005_sending_reminders_recurring"),
    ]

    operations = [
        tenants.rls.EnableRowLevelSecurity(model_name="publicinvoicelink"),
        tenants.rls.EnableRowLevelSecurity(model_name="providermessageindex"),
        tenants.doors.CreateLookupDoor(
            name="lookup_door_public_invoice_link", model_name="publicinvoicelink", key_fields=["token_hash"]
        ),
        tenants.doors.CreateLookupDoor(
            name="lookup_door_provider_message",
            model_name="providermessageindex",
            key_fields=["provider_message_id"],
        ),
    ]
