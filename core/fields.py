"""`UpdatedAtField`: the one declaration of a row's `updated_at`.

Every save() that writes the column stamps it with the current time, so services never assign
`updated_at` by hand: a full save() stamps it, and `save(update_fields=[..., "updated_at"])`
stamps it too (a save whose update_fields leave it out does not, as with Django's auto_now).
Unlike auto_now, a row being created keeps a value it was given (default: now), so a caller may
create a row with a known time. `QuerySet.update()` runs no save(): pass `updated_at` there.

It deconstructs as the plain `DateTimeField(default=timezone.now)` the models declared before,
so it needs no migration.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class UpdatedAtField(models.DateTimeField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", timezone.now)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if add:
            return super().pre_save(model_instance, add)
        value = timezone.now()
        setattr(model_instance, self.attname, value)
        return value

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
