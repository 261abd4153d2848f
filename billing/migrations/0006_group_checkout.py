"""Paying several invoices of one client in one Checkout Session (the client portal), behind
row-level security."""

import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.db import migrations, models

import billing.models
import tenants.rls


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_plans_move_to_their_own_app"),
        ("invoices", "0016_merge_contacts_and_quote_series"),
        ("tenants", "0006_einvoice_settings"),
    ]

    operations = [
        migrations.CreateModel(
            name="GroupCheckout",
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
                        default=billing.models._group_checkout_id, editable=False, max_length=32, unique=True
                    ),
                ),
                ("number", models.PositiveIntegerField()),
                ("stripe_account", models.CharField(max_length=255)),
                ("session_id", models.CharField(max_length=255, unique=True)),
                ("payment_intent_id", models.CharField(blank=True, max_length=255)),
                ("url", models.URLField(blank=True, max_length=2000)),
                ("amount", models.DecimalField(decimal_places=4, max_digits=16)),
                ("currency", models.CharField(max_length=3)),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "Open"), ("complete", "Complete"), ("expired", "Expired")],
                        default="open",
                        max_length=16,
                    ),
                ),
                ("expires_at", models.DateTimeField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("checked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="invoices.client"
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenants.tenant"
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("unscoped_across_tenants", django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name="GroupCheckoutItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("amount", models.DecimalField(decimal_places=4, max_digits=16)),
                (
                    "checkout",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="billing.groupcheckout",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="invoices.invoice"
                    ),
                ),
                (
                    "payment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="invoices.payment",
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenants.tenant"
                    ),
                ),
            ],
            options={
                "ordering": ["pk"],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("unscoped_across_tenants", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddIndex(
            model_name="groupcheckout",
            index=models.Index(fields=["tenant", "status"], name="group_checkout_status"),
        ),
        migrations.AddConstraint(
            model_name="groupcheckout",
            constraint=models.UniqueConstraint(
                fields=("client", "number"), name="group_checkout_number_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="groupcheckoutitem",
            constraint=models.UniqueConstraint(
                fields=("checkout", "invoice"), name="group_checkout_item_unique"
            ),
        ),
        tenants.rls.EnableRowLevelSecurity(model_name="groupcheckout"),
        tenants.rls.EnableRowLevelSecurity(model_name="groupcheckoutitem"),
    ]
