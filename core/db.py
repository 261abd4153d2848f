"""Which database constraint an IntegrityError broke, by the constraint's name.

A service that lets the database decide a race (two finalizations taking one number) tells
the user what happened by the name of the constraint it declared, never by reading the
database's message. PostgreSQL names it (`diag.constraint_name`). SQLite, the embedded
default, names no constraint: for a UNIQUE constraint it lists the columns, which this maps
back to the model's constraint of those columns.
"""

from __future__ import annotations

from django.db import IntegrityError, models

_SQLITE_UNIQUE = "UNIQUE constraint failed: "


def violated_constraint(error: IntegrityError, model: type[models.Model]) -> str | None:
    """The name of `model`'s constraint that `error` reports, or None when it is another one."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None)
    text = str(cause or error)
    if not text.startswith(_SQLITE_UNIQUE):
        return None
    columns = {column.strip().rpartition(".")[2] for column in text[len(_SQLITE_UNIQUE) :].split(",")}
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint) or not constraint.fields:
            continue
        if {getattr(model._meta.get_field(name), "column", None) for name in constraint.fields} == columns:
            return constraint.name
    return None
