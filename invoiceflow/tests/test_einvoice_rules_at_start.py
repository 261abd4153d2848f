"""Web processes start compiling the e-invoice rule sets in the background as they start, so
the first e-invoice panel does not wait for them, and the start does not either."""

from __future__ import annotations

import importlib
import os
import time

import pytest

from einvoicing import validation


@pytest.mark.parametrize("module", ["invoiceflow.wsgi", "invoiceflow.asgi"])
def test_the_web_entry_points_start_the_compile(monkeypatch, module: str) -> None:
    started: list[bool] = []
    monkeypatch.setattr(validation, "compile_in_background", lambda: started.append(True))
    entry_point = importlib.import_module(module)  # may be its first import: it starts one
    started.clear()
    importlib.reload(entry_point)  # as a new web process imports it
    assert started == [True]


def test_the_compile_runs_in_a_thread_and_leaves_the_rules_ready(monkeypatch) -> None:
    monkeypatch.setattr(validation, "_compiled", None)
    began = time.perf_counter()
    thread = validation.compile_in_background()
    returned_after = time.perf_counter() - began
    assert returned_after < 0.5  # the process goes on serving while the rules compile
    assert thread.daemon
    assert thread.name == "einvoice-rules-compile"
    thread.join(timeout=300)
    assert not thread.is_alive()
    compiled = validation._compiled
    assert compiled is not None
    assert compiled.pid == os.getpid()
    assert {rs.key for sets in validation.RULE_SETS.values() for rs in sets} <= set(compiled.executables)
