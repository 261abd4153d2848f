"""Connected Stripe accounts, plan subscriptions and usage reports behind row-level security.
Webhooks find a connected account by its `acct_` id and a subscription's workspace by its Stripe
customer through lookup doors; the reconciliation lists the workspaces with an account."""

from django.db import migrations

import tenants.doors
import tenants.rls


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_plans"),
    ]

    operations = [
        tenants.rls.EnableRowLevelSecurity(model_name="stripeaccount"),
        tenants.rls.EnableRowLevelSecurity(model_name="plansubscription"),
        tenants.rls.EnableRowLevelSecurity(model_name="usagereport"),
        tenants.doors.CreateLookupDoor(
            name="lookup_door_stripe_account", model_name="stripeaccount", key_fields=["stripe_id"]
        ),
        tenants.doors.CreateLookupDoor(
            name="lookup_door_stripe_accounts_all", model_name="stripeaccount", key_fields=[]
        ),
        tenants.doors.CreateLookupDoor(
            name="lookup_door_plan_subscription_by_customer",
            model_name="plansubscription",
            key_fields=["stripe_customer_id"],
        ),
    ]
