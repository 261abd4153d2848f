"""Email delivery becomes its own app: outgoing messages, the provider message index, email
problems, sending settings, reminder overrides and reminders sent, late fees, recurring
templates and their runs move here from invoices/.

State only: they keep their tables (invoices_outgoingmessage, ...), their rows, their
row-level security policies and the lookup door on the provider's message id, made by
invoices' migrations 0005 and 0006. Their content types follow them."""

import django.core.validators
import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import delivery.models
from core.migration_operations import move_content_types


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("invoices", "0009_email_delivery_moves_to_its_own_app"),
        ("tenants", "0005_rls_for_memberships"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ClientReminderOverride",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "reminders_enabled",
                            models.BooleanField(default=True, verbose_name="send payment reminders"),
                        ),
                        (
                            "remind_days_before",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(60),
                                ],
                                verbose_name="days before the due date",
                            ),
                        ),
                        ("remind_on_due", models.BooleanField(default=True, verbose_name="on the due date")),
                        (
                            "remind_after_days",
                            models.JSONField(
                                blank=True,
                                default=list,
                                validators=[delivery.models.validate_day_list],
                                verbose_name="days after the due date",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "client",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reminder_override",
                                to="invoices.client",
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
                        "db_table": "invoices_clientreminderoverride",
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="LateFee",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("amount", models.DecimalField(decimal_places=4, max_digits=16)),
                        ("error", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "fee_invoice",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="invoices.invoice",
                            ),
                        ),
                        (
                            "invoice",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="late_fee",
                                to="invoices.invoice",
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
                        "db_table": "invoices_latefee",
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="OutgoingMessage",
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
                                default=delivery.models._message_id,
                                editable=False,
                                max_length=32,
                                unique=True,
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("invoice", "Invoice"),
                                    ("credit_note", "Credit note"),
                                    ("reminder", "Payment reminder"),
                                    ("bounce_notice", "Bounce notice"),
                                    ("bulk_ready", "Bulk documents ready"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("to", models.JSONField(default=list)),
                        ("subject", models.CharField(max_length=200)),
                        ("body", models.TextField(blank=True)),
                        ("language", models.CharField(default="en", max_length=16)),
                        ("attach_pdf", models.BooleanField(default=False)),
                        ("include_link", models.BooleanField(default=False)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("sent", "Sent"),
                                    ("delivered", "Delivered"),
                                    ("bounced", "Bounced"),
                                    ("complained", "Marked as spam"),
                                    ("failed", "Failed"),
                                    ("cancelled", "Cancelled"),
                                ],
                                default="queued",
                                max_length=16,
                            ),
                        ),
                        ("recipient_status", models.JSONField(blank=True, default=dict)),
                        ("provider_message_id", models.CharField(blank=True, max_length=255)),
                        ("error", models.CharField(blank=True, max_length=500)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("context", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("last_event_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "invoice",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="messages",
                                to="invoices.invoice",
                            ),
                        ),
                        (
                            "sent_by",
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
                        "db_table": "invoices_outgoingmessage",
                        "ordering": ["-created_at", "-pk"],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="ClientEmailProblem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("email", models.EmailField(max_length=254)),
                        (
                            "kind",
                            models.CharField(
                                choices=[("bounced", "Bounced"), ("complained", "Marked as spam")],
                                max_length=16,
                            ),
                        ),
                        ("description", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("cleared_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "client",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="email_problems",
                                to="invoices.client",
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
                            "message",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="delivery.outgoingmessage",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "invoices_clientemailproblem",
                        "ordering": ["-created_at", "-pk"],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="ProviderMessageIndex",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("provider_message_id", models.CharField(max_length=255, unique=True)),
                        ("message_public_id", models.CharField(max_length=32)),
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
                        "db_table": "invoices_providermessageindex",
                    },
                ),
                migrations.CreateModel(
                    name="RecurringTemplate",
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
                                default=delivery.models._recurring_id,
                                editable=False,
                                max_length=32,
                                unique=True,
                            ),
                        ),
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        ("currency", models.CharField(max_length=3, verbose_name="currency")),
                        ("lines", models.JSONField(default=list)),
                        ("notes", models.TextField(blank=True, verbose_name="notes")),
                        ("terms", models.TextField(blank=True, verbose_name="terms")),
                        (
                            "frequency",
                            models.CharField(
                                choices=[
                                    ("weekly", "Weekly"),
                                    ("monthly", "Monthly"),
                                    ("quarterly", "Quarterly"),
                                    ("yearly", "Yearly"),
                                ],
                                max_length=16,
                                verbose_name="every",
                            ),
                        ),
                        (
                            "day_of_month",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="Monthly, quarterly and yearly: 29 to 31 fall on the last day of shorter months.",
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(31),
                                ],
                                verbose_name="on day of the month",
                            ),
                        ),
                        ("start_date", models.DateField(verbose_name="first period starts")),
                        (
                            "end_date",
                            models.DateField(
                                blank=True, null=True, verbose_name="last period starts no later than"
                            ),
                        ),
                        (
                            "mode",
                            models.CharField(
                                choices=[
                                    ("draft", "Create a draft for me to review"),
                                    ("send", "Finalize and email it to the client"),
                                ],
                                default="draft",
                                max_length=8,
                                verbose_name="each period",
                            ),
                        ),
                        ("paused_at", models.DateTimeField(blank=True, null=True)),
                        ("next_period_start", models.DateField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "client",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="recurring_templates",
                                to="invoices.client",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="tenants.membership",
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
                        "db_table": "invoices_recurringtemplate",
                        "ordering": ["name", "pk"],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="RecurringRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("period_start", models.DateField()),
                        (
                            "status",
                            models.CharField(
                                choices=[("created", "Invoice created"), ("failed", "Failed")], max_length=16
                            ),
                        ),
                        ("error", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "invoice",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="invoices.invoice",
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
                            "template",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="runs",
                                to="delivery.recurringtemplate",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "invoices_recurringrun",
                        "ordering": ["-period_start", "-pk"],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="ReminderSent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("step", models.CharField(max_length=16)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "invoice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reminders_sent",
                                to="invoices.invoice",
                            ),
                        ),
                        (
                            "message",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="delivery.outgoingmessage",
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
                        "db_table": "invoices_remindersent",
                        "ordering": ["created_at", "pk"],
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.CreateModel(
                    name="SendingSettings",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "attach_pdf",
                            models.BooleanField(
                                default=True,
                                help_text="Off: emails carry only the link to the invoice page (link-only).",
                                verbose_name="attach the PDF",
                            ),
                        ),
                        (
                            "reminders_enabled",
                            models.BooleanField(default=False, verbose_name="send payment reminders"),
                        ),
                        (
                            "remind_days_before",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="Leave empty for no reminder before the due date.",
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(60),
                                ],
                                verbose_name="days before the due date",
                            ),
                        ),
                        ("remind_on_due", models.BooleanField(default=True, verbose_name="on the due date")),
                        (
                            "remind_after_days",
                            models.JSONField(
                                blank=True,
                                default=list,
                                validators=[delivery.models.validate_day_list],
                                verbose_name="days after the due date",
                            ),
                        ),
                        (
                            "late_fee_kind",
                            models.CharField(
                                choices=[
                                    ("none", "No late fee"),
                                    ("fixed", "Fixed amount"),
                                    ("percent", "Percentage of the balance"),
                                ],
                                default="none",
                                max_length=8,
                                verbose_name="late fee",
                            ),
                        ),
                        (
                            "late_fee_value",
                            models.DecimalField(
                                decimal_places=4,
                                default=0,
                                max_digits=16,
                                validators=[django.core.validators.MinValueValidator(0)],
                                verbose_name="late fee amount or percentage",
                            ),
                        ),
                        (
                            "late_fee_after_days",
                            models.PositiveSmallIntegerField(
                                default=30,
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(365),
                                ],
                                verbose_name="charge it this many days after the due date",
                            ),
                        ),
                        (
                            "late_fee_mode",
                            models.CharField(
                                choices=[
                                    ("draft", "Create a draft for me to review"),
                                    ("send", "Finalize and email it to the client"),
                                ],
                                default="draft",
                                max_length=8,
                                verbose_name="late fee invoice",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
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
                        "verbose_name_plural": "sending settings",
                        "db_table": "invoices_sendingsettings",
                    },
                    managers=[
                        ("objects", django.db.models.manager.Manager()),
                        ("unscoped_across_tenants", django.db.models.manager.Manager()),
                    ],
                ),
                migrations.AddIndex(
                    model_name="outgoingmessage",
                    index=models.Index(
                        fields=["tenant", "invoice", "-created_at"], name="outgoing_message_invoice"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="clientemailproblem",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("cleared_at__isnull", True)),
                        fields=("client", "email"),
                        name="client_email_problem_open_unique",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="recurringrun",
                    constraint=models.UniqueConstraint(
                        fields=("template", "period_start"), name="recurring_run_once_per_period"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="remindersent",
                    constraint=models.UniqueConstraint(fields=("invoice", "step"), name="reminder_sent_once"),
                ),
                migrations.AddConstraint(
                    model_name="sendingsettings",
                    constraint=models.UniqueConstraint(
                        fields=("tenant",), name="sending_settings_one_per_tenant"
                    ),
                ),
            ],
            database_operations=[],
        ),
        move_content_types(
            "invoices",
            "delivery",
            [
                "outgoingmessage",
                "providermessageindex",
                "clientemailproblem",
                "sendingsettings",
                "clientreminderoverride",
                "remindersent",
                "latefee",
                "recurringtemplate",
                "recurringrun",
            ],
        ),
    ]
