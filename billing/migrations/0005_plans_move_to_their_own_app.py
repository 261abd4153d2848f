"""PlanSubscription and UsageReport now belong to the plans app (plans/migrations/0001_initial):
removed from billing's migration state only. Their tables, rows and policies stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_rls_for_stripe_accounts_and_plans"),
        ("plans", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="PlanSubscription"),
                migrations.DeleteModel(name="UsageReport"),
            ],
            database_operations=[],
        ),
    ]
