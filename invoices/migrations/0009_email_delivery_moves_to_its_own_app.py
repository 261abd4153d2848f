"""The email delivery models now belong to the delivery app (delivery/migrations/0001_initial,
which runs after this): removed from the invoices app's migration state only. Their tables,
rows, policies and lookup door stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0008_public_links_move_to_the_portal"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="clientreminderoverride",
                    name="client",
                ),
                migrations.RemoveField(
                    model_name="clientreminderoverride",
                    name="tenant",
                ),
                migrations.RemoveField(
                    model_name="latefee",
                    name="fee_invoice",
                ),
                migrations.RemoveField(
                    model_name="latefee",
                    name="invoice",
                ),
                migrations.RemoveField(
                    model_name="latefee",
                    name="tenant",
                ),
                migrations.RemoveField(
                    model_name="outgoingmessage",
                    name="invoice",
                ),
                migrations.RemoveField(
                    model_name="outgoingmessage",
                    name="sent_by",
                ),
                migrations.RemoveField(
                    model_name="outgoingmessage",
                    name="tenant",
                ),
                migrations.RemoveField(
                    model_name="remindersent",
                    name="message",
                ),
                migrations.RemoveField(
                    model_name="providermessageindex",
                    name="tenant",
                ),
                migrations.RemoveField(
                    model_name="recurringrun",
                    name="invoice",
                ),
                migrations.RemoveField(
                    model_name="recurringrun",
                    name="template",
                ),
                migrations.RemoveField(
                    model_name="recurringrun",
                    name="tenant",
                ),
                migrations.RemoveField(
                    model_name="recurringtemplate",
                    name="client",
                ),
                migrations.RemoveField(
                    model_name="recurringtemplate",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="recurringtemplate",
                    name="tenant",
                ),
                migrations.RemoveField(
                    model_name="remindersent",
                    name="invoice",
                ),
                migrations.RemoveField(
                    model_name="remindersent",
                    name="tenant",
                ),
                migrations.RemoveField(
                    model_name="sendingsettings",
                    name="tenant",
                ),
                migrations.DeleteModel(
                    name="ClientEmailProblem",
                ),
                migrations.DeleteModel(
                    name="ClientReminderOverride",
                ),
                migrations.DeleteModel(
                    name="LateFee",
                ),
                migrations.DeleteModel(
                    name="OutgoingMessage",
                ),
                migrations.DeleteModel(
                    name="ProviderMessageIndex",
                ),
                migrations.DeleteModel(
                    name="RecurringRun",
                ),
                migrations.DeleteModel(
                    name="RecurringTemplate",
                ),
                migrations.DeleteModel(
                    name="ReminderSent",
                ),
                migrations.DeleteModel(
                    name="SendingSettings",
                ),
            ],
            database_operations=[],
        ),
    ]
