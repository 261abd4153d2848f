"""`updated_at` is declared once (`core.fields.UpdatedAtField`) and stamped by save(), so no
service writes it by hand (issue #15)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core.fields import UpdatedAtField
from invoices.models import Client
from invoices.tests.factories import ClientFactory
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
LAST_WEEK = timedelta(days=7)


def test_a_row_created_with_a_time_keeps_it(in_tenant: Tenant) -> None:
    then = timezone.now() - LAST_WEEK
    client = ClientFactory(updated_at=then)
    client.refresh_from_db()
    assert client.updated_at == then


def test_a_full_save_stamps_the_time(in_tenant: Tenant) -> None:
    client = ClientFactory(updated_at=timezone.now() - LAST_WEEK)
    before = timezone.now()
    client.name = "Renamed"
    client.save()
    client.refresh_from_db()
    assert before <= client.updated_at <= timezone.now()


def test_a_save_of_named_fields_stamps_it_only_when_named(in_tenant: Tenant) -> None:
    then = timezone.now() - LAST_WEEK
    client = ClientFactory(updated_at=then)
    client.archived_at = timezone.now()
    client.save(update_fields=["archived_at"])
    client.refresh_from_db()
    assert client.updated_at == then

    before = timezone.now()
    client.name = "Renamed"
    client.save(update_fields=["name", "updated_at"])
    client.refresh_from_db()
    assert before <= client.updated_at <= timezone.now()


def test_update_or_create_stamps_the_row_it_updates(in_tenant: Tenant) -> None:
    client = ClientFactory(updated_at=timezone.now() - LAST_WEEK)
    before = timezone.now()
    Client.objects.update_or_create(pk=client.pk, defaults={"name": "Renamed"})
    client.refresh_from_db()
    assert (client.name, before <= client.updated_at <= timezone.now()) == ("Renamed", True)


def test_the_field_needs_no_migration_of_the_models_that_declared_datetimefield() -> None:
    name, path, args, kwargs = Client._meta.get_field("updated_at").deconstruct()
    assert isinstance(Client._meta.get_field("updated_at"), UpdatedAtField)
    assert (name, path, args, kwargs) == (
        "updated_at",
        "django.db.models.DateTimeField",
        [],
        {"default": timezone.now},
    )


# `x.updated_at = …` or `"updated_at": …` (save() and update_or_create stamp it). Only
# QuerySet.update(updated_at=…), which runs no save(), still names a time.
HAND_WRITTEN = re.compile(r"\.updated_at\s*=(?!=)|[\"']updated_at[\"']\s*:")


def test_no_application_code_writes_updated_at_by_hand() -> None:
    modules = [
        path
        for path in REPO.glob("*/**/*.py")
        if not {".venv", ".venv-checkov", "node_modules", "tests", "migrations"} & set(path.parts)
    ]
    assert len(modules) > 100
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in modules
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if HAND_WRITTEN.search(line)
    ]
    assert offenders == [], "save() stamps updated_at (core.fields.UpdatedAtField)"
