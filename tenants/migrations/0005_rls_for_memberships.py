"""Memberships behind row-level security: a workspace's rows inside its scope, and a user's own
rows (read only) inside `user_scope`. The rows stay as they are."""

from django.db import migrations

import tenants.rls


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_user_api_token_generation_and_auth_events"),
    ]

    operations = [
        tenants.rls.EnableRowLevelSecurity(model_name="membership"),
        tenants.rls.AllowReadingOwnRows(model_name="membership"),
    ]
