"""Celery's console messages (`worker: Warm shutdown (MainProcess)`, ...) as JSON log lines.

The worker writes them from its signal handlers straight to the standard streams with
`celery.apps.worker.safe_say` (os.write, no logging: logging's locks are not safe there). With
JSON logs (invoiceflow/script_log.py's rule, the settings' LOG_FORMAT) this writes the same
message as one JSON object, still with a single os.write, so a log collector parses every line.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from datetime import UTC, datetime
from typing import IO

import celery.apps.worker

from invoiceflow.script_log import json_format

_original_safe_say = celery.apps.worker.safe_say


def safe_say_json(msg: str, f: IO[str] | None = sys.__stderr__) -> None:
    if not json_format():
        _original_safe_say(msg, f)
        return
    line = json.dumps(
        {
            "time": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
            "level": "WARNING",
            "logger": "celery.worker",
            "message": msg.strip(),
        },
        ensure_ascii=False,
    )
    if f is None:  # no stderr at all (sys.__stderr__ can be None): nowhere to say it
        return
    # As Celery's: losing the message must never abort the shutdown.
    with contextlib.suppress(OSError, AttributeError, ValueError):
        os.write(f.fileno(), (line + "\n").encode())


celery.apps.worker.safe_say = safe_say_json
