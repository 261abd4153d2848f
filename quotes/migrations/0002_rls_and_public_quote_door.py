"""Quotes, their timeline and their invoices behind row-level security; the public quote page
finds a quote's workspace through its own lookup door, on the token's hash only."""

from django.db import migrations

import tenants.doors
import tenants.rls


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0001_initial"),
    ]

    operations = [
        tenants.rls.EnableRowLevelSecurity(model_name="quote"),
        tenants.rls.EnableRowLevelSecurity(model_name="quoteevent"),
        tenants.rls.EnableRowLevelSecurity(model_name="quoteinvoice"),
        tenants.doors.CreateLookupDoor(
            name="lookup_door_public_quote", model_name="quote", key_fields=["token_hash"]
        ),
    ]
