"""Rewrite stored account, allauth and invitation addresses to their one spelling
(tenants/emails.py: NFKC, lower case, the domain in IDNA ASCII form).

Two accounts whose addresses become one spelling are not merged: one keeps the address and
signs in with it (the one already in that spelling, else the oldest), the others keep their old
spelling, and each collision is logged as a warning (so is an address whose domain IDNA
refuses). `manage.py normalize_account_emails` reruns the rewrite once an operator has merged
or removed the others, and lists what is still left. Not reversible: the old spellings are not
kept (reversing is a no-op).
"""

from django.db import migrations

from tenants.emails import normalize_stored_emails


def normalize_emails(apps, schema_editor):
    tenant_model = apps.get_model("tenants", "Tenant")
    report = normalize_stored_emails(
        users=apps.get_model("tenants", "User").objects,
        email_addresses=apps.get_model("account", "EmailAddress").objects,
        # The historical model has a plain manager: row-level security, set per tenant by
        # normalize_stored_emails, is what scopes the rows.
        invitations=apps.get_model("tenants", "Invitation")._base_manager,
        tenant_ids=tenant_model.objects.values_list("pk", flat=True),
        connection=schema_editor.connection,
    )
    report.log()


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0002_tenant_branding"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(normalize_emails, migrations.RunPython.noop)]
