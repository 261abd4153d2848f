"""InvoiceLink and PublicInvoiceLink now belong to the portal app (portal/migrations/0001_initial,
which runs after this): removed from the invoices app's migration state only. Their tables,
rows, policies and lookup door stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0007_documents_move_to_their_own_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="publicinvoicelink",
                    name="tenant",
                ),
                migrations.DeleteModel(
                    name="InvoiceLink",
                ),
                migrations.DeleteModel(
                    name="PublicInvoiceLink",
                ),
            ],
            database_operations=[],
        ),
    ]
