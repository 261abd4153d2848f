"""Documents become their own app: InvoiceDocument, BulkJob and BulkJobItem move here from invoices/.

State only: they keep their tables (invoices_invoicedocument, invoices_bulkjob,
invoices_bulkjobitem), their rows and their row-level security policies, made by invoices'
migrations 0003 and 0004. Their content types follow them."""

import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import documents.models
from core.migration_operations import move_content_types


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("invoices", "0007_documents_move_to_their_own_app"),
        ("tenants", "0005_rls_for_memberships"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BulkJob",
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
                                default=documents.models._bulk_job_id,
                                editable=False,
                                max_length=32,
                                unique=True,
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("generate", "Generate PDFs"), ("zip", "ZIP of PDFs")], max_length=16
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[("running", "Running"), ("ready", "Ready"), ("failed", "Failed")],
                                default="running",
                                max_length=16,
                            ),
                        ),
                        ("total", models.PositiveIntegerField(default=0)),
                        ("done", models.PositiveIntegerField(default=0)),
                        ("failed", models.PositiveIntegerField(default=0)),
                        ("failure_reason", models.CharField(blank=True, max_length=300)),
                        ("storage_key", models.CharField(blank=True, max_length=200)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "requested_by",
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
                        "db_table": "invoices_bulkjob",
                        "ordering": ["-created_at", "-pk"],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="InvoiceDocument",
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
                                default=documents.models._document_id,
                                editable=False,
                                max_length=32,
                                unique=True,
                            ),
                        ),
                        (
                            "format",
                            models.CharField(
                                choices=[("pdf", "PDF"), ("xlsx", "XLSX"), ("csv", "CSV")],
                                default="pdf",
                                max_length=8,
                            ),
                        ),
                        ("content_version", models.PositiveIntegerField()),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("processing", "Processing"),
                                    ("ready", "Ready"),
                                    ("failed", "Failed"),
                                ],
                                default="queued",
                                max_length=16,
                            ),
                        ),
                        ("failure_reason", models.CharField(blank=True, max_length=300)),
                        ("storage_key", models.CharField(max_length=200)),
                        ("size", models.PositiveIntegerField(blank=True, null=True)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("queued_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("ready_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "invoice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="documents",
                                to="invoices.invoice",
                            ),
                        ),
                        (
                            "requested_by",
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
                        "db_table": "invoices_invoicedocument",
                        "ordering": ["-created_at", "-pk"],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="BulkJobItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("succeeded", models.BooleanField(null=True)),
                        (
                            "invoice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="invoices.invoice",
                            ),
                        ),
                        (
                            "job",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="documents.bulkjob",
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
                        (
                            "document",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="bulk_items",
                                to="documents.invoicedocument",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "invoices_bulkjobitem",
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.AddConstraint(
                    model_name="invoicedocument",
                    constraint=models.UniqueConstraint(
                        fields=("invoice", "format", "content_version"),
                        name="invoice_document_version_unique",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="bulkjobitem",
                    constraint=models.UniqueConstraint(
                        fields=("job", "invoice"), name="bulk_job_item_unique"
                    ),
                ),
            ],
            database_operations=[],
        ),
        move_content_types("invoices", "documents", ["invoicedocument", "bulkjob", "bulkjobitem"]),
    ]
