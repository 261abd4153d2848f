"""Received invoices behind row-level security, like every tenant-owned table."""

from django.db import migrations

import tenants.rls


class Migration(migrations.Migration):
    dependencies = [
        ("einvoicing", "0001_received_invoices"),
    ]

    operations = [
        tenants.rls.EnableRowLevelSecurity(model_name="receivedinvoice"),
    ]
