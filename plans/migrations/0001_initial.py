"""Plans become their own app: PlanSubscription and UsageReport move here from billing/.

State only: both keep their tables (billing_plansubscription, billing_usagereport), their rows,
their row-level security policies and the lookup door on the subscription's customer, all made
by billing's migrations 0003 and 0004. Their content types follow them."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import plans.catalog
from core.migration_operations import move_content_types


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tenants", "0005_rls_for_memberships"),
        ("billing", "0004_rls_for_stripe_accounts_and_plans"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PlanSubscription",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "plan",
                            models.CharField(
                                choices=[("free", "Free"), ("pro", "Pro"), ("business", "Business")],
                                default=plans.catalog.PlanCode["FREE"],
                                max_length=16,
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("", "No subscription"),
                                    ("active", "Active"),
                                    ("trialing", "Trialing"),
                                    ("past_due", "Past due"),
                                    ("canceled", "Canceled"),
                                    ("incomplete", "Incomplete"),
                                ],
                                default="",
                                max_length=16,
                            ),
                        ),
                        (
                            "stripe_customer_id",
                            models.CharField(blank=True, max_length=255, null=True, unique=True),
                        ),
                        (
                            "stripe_subscription_id",
                            models.CharField(blank=True, db_index=True, max_length=255),
                        ),
                        ("stripe_price_id", models.CharField(blank=True, max_length=255)),
                        ("stripe_subscription_created", models.DateTimeField(blank=True, null=True)),
                        ("current_period_start", models.DateTimeField(blank=True, null=True)),
                        ("current_period_end", models.DateTimeField(blank=True, null=True)),
                        ("cancel_at_period_end", models.BooleanField(default=False)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "tenant",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="plan_subscription",
                                to="tenants.tenant",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "plan subscription",
                        "db_table": "billing_plansubscription",
                    },
                ),
                migrations.CreateModel(
                    name="UsageReport",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("identifier", models.CharField(max_length=100, unique=True)),
                        ("event_name", models.CharField(max_length=100)),
                        ("invoice_public_id", models.CharField(max_length=32)),
                        ("value", models.PositiveIntegerField(default=1)),
                        ("stripe_customer_id", models.CharField(blank=True, max_length=255)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("reported", "Reported"),
                                    ("skipped", "Skipped"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        ("occurred_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("reported_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
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
                        "db_table": "billing_usagereport",
                        "ordering": ["-occurred_at"],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types("billing", "plans", ["plansubscription", "usagereport"]),
    ]
