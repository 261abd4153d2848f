"""InvoiceDocument, BulkJob and BulkJobItem now belong to the documents app
(documents/migrations/0001_initial, which runs after this): removed from the invoices app's
migration state only. Their tables, rows and policies stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0006_rls_for_public_links_and_message_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="bulkjobitem",
                    name="job",
                ),
                migrations.RemoveField(
                    model_name="bulkjobitem",
                    name="document",
                ),
                migrations.RemoveField(
                    model_name="bulkjobitem",
                    name="invoice",
                ),
                migrations.RemoveField(
                    model_name="bulkjobitem",
                    name="tenant",
                ),
                migrations.RemoveField(
                    model_name="invoicedocument",
                    name="invoice",
                ),
                migrations.RemoveField(
                    model_name="invoicedocument",
                    name="requested_by",
                ),
                migrations.RemoveField(
                    model_name="invoicedocument",
                    name="tenant",
                ),
                migrations.DeleteModel(
                    name="BulkJob",
                ),
                migrations.DeleteModel(
                    name="BulkJobItem",
                ),
                migrations.DeleteModel(
                    name="InvoiceDocument",
                ),
            ],
            database_operations=[],
        ),
    ]
