"""Migration operations for moving models between apps without touching their tables.

A model that moves to another app keeps its table (`Meta.db_table` = the old name): the new
app's first migration creates it in the migration *state* only, and the old app's next
migration deletes it from the state only (`SeparateDatabaseAndState`), so no table is created,
dropped or copied. `move_content_types` moves the models' content types with them, so their
permissions and the admin's log entries keep pointing at them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import migrations


def _mover(source: str, target: str, models: Sequence[str]) -> Callable[[Any, Any], None]:
    def move(apps: Any, schema_editor: Any) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        rows = content_type.objects.using(schema_editor.connection.alias)
        for model in models:
            if rows.filter(app_label=target, model=model).exists():
                continue  # made already (a fresh database makes content types after migrating)
            rows.filter(app_label=source, model=model).update(app_label=target)
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()

    return move


def move_content_types(source: str, target: str, models: Sequence[str]) -> migrations.RunPython:
    """RunPython: the content types of `models` (lower-case names) move from app `source` to `target`."""
    return migrations.RunPython(_mover(source, target, models), _mover(target, source, models))
