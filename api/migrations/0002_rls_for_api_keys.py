"""API keys behind row-level security, found by the lookup door on (prefix, hash of the key)."""

from django.db import migrations

import tenants.doors
import tenants.rls


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        tenants.rls.EnableRowLevelSecurity(model_name="apikey"),
        tenants.doors.CreateLookupDoor(
            name="lookup_door_api_key", model_name="apikey", key_fields=["prefix", "secret_hash"]
        ),
    ]
