"""Log lines of the container's helper scripts (docker/*.py), in the app's format.

They run before Django (or instead of it), so they cannot use its logging; with the settings'
LOG_FORMAT rule (json unless DEBUG is on, or as LOG_FORMAT says) they print the same JSON
object per line as invoiceflow.logging.JsonFormatter: time, level, logger, message. A log
collector then parses every line of a container the same way.
"""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import UTC, datetime

_FALSE = {"false", "0", "no", "off"}


def json_format() -> bool:
    wanted = os.environ.get("LOG_FORMAT", "").strip().lower()
    if wanted:
        return wanted == "json"
    return os.environ.get("DEBUG", "true").strip().lower() in _FALSE


def say(message: str, *, logger: str, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    if json_format():
        payload = {
            "time": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
            "level": "ERROR" if error else "INFO",
            "logger": logger,
            "message": message,
        }
        stream.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
        stream.write(message + "\n")
    stream.flush()


class LineLogger(io.TextIOBase):
    """A stream (for call_command(stdout=...)) that says each line it is given."""

    def __init__(self, logger: str) -> None:
        super().__init__()
        self.logger = logger
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                say(line.rstrip(), logger=self.logger)
        return len(text)

    def flush(self) -> None:
        # Django flushes after "Applying x..." to show progress; its " OK" ends that line later.
        pass

    def close(self) -> None:
        if self._pending.strip():
            say(self._pending.rstrip(), logger=self.logger)
        self._pending = ""
        super().close()
