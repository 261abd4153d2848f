"""The client portal becomes its own app: InvoiceLink and PublicInvoiceLink move here from invoices/.

State only: they keep their tables (invoices_invoicelink, invoices_publicinvoicelink), their
rows, their row-level security policies and the lookup door on a link token's hash, made by
invoices' migrations 0004 and 0006. Their content types follow them."""

import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import portal.models
from core.migration_operations import move_content_types


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("invoices", "0008_public_links_move_to_the_portal"),
        ("tenants", "0005_rls_for_memberships"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PublicInvoiceLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("token_hash", models.CharField(max_length=64, unique=True)),
                        ("link_public_id", models.CharField(max_length=32, unique=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "tenant",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="tenants.tenant",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "invoices_publicinvoicelink",
                    },
                ),
                migrations.CreateModel(
                    name="InvoiceLink",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "public_id",
                            models.CharField(
                                default=portal.models._link_id, editable=False, max_length=32, unique=True
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("expires_at", models.DateTimeField()),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        ("first_viewed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "invoice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="links",
                                to="invoices.invoice",
                            ),
                        ),
                        (
                            "issued_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "tenant",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="tenants.tenant",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "invoices_invoicelink",
                        "ordering": ["-created_at", "-pk"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("revoked_at__isnull", True)),
                                fields=("invoice",),
                                name="invoice_link_one_live",
                            )
                        ],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
            ],
            database_operations=[],
        ),
        move_content_types("invoices", "portal", ["invoicelink", "publicinvoicelink"]),
    ]
