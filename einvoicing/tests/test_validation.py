"""Validation machinery: stylesheets compiled once per process and reused, per-thread clones,
forked workers, and the plain-words report."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from einvoicing import validation
from einvoicing.explanations import explain
from einvoicing.generate import build_tree
from einvoicing.syntax import Format
from einvoicing.tests.matrix import matrix
from einvoicing.validation import CEN_UBL, validate_tree


def _broken(name: str = "standard-rate"):
    invoice = matrix()[name]
    return replace(invoice, totals=replace(invoice.totals, payable=invoice.totals.payable + 1))


def test_stylesheets_are_compiled_once_per_process() -> None:
    validation.warm_up()
    compiled = validation._compiled
    validate_tree(build_tree(matrix()["standard-rate"], Format.UBL), Format.UBL)
    validation.warm_up()
    assert validation._compiled is compiled


def test_each_thread_runs_its_own_clone_and_gets_the_same_answers() -> None:
    good, bad = matrix()["standard-rate"], _broken()
    clones: set[int] = set()
    threads: set[int] = set()
    lock = threading.Lock()

    def validate(i: int) -> tuple[str, tuple[str, ...]]:
        fmt = list(Format)[i % len(Format)]
        report = validate_tree(build_tree(bad if i % 2 else good, fmt), fmt)
        _, executable = validation._executable(CEN_UBL)
        with lock:
            clones.add(id(executable))
            threads.add(threading.get_ident())
        return fmt, tuple(sorted({r.rule_id for r in report.fatal}))

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(validate, range(40)))

    assert {fatal for _, fatal in results} == {(), ("BR-CO-16",)}
    assert all(fatal == (("BR-CO-16",) if i % 2 else ()) for i, (_, fatal) in enumerate(results))
    assert len(clones) == len(threads) > 1


def _validate_in_child(queue: multiprocessing.Queue) -> None:
    report = validate_tree(build_tree(_broken(), Format.UBL), Format.UBL)
    queue.put(sorted({r.rule_id for r in report.fatal}))


def test_a_forked_worker_builds_its_own_processor() -> None:
    """Celery's prefork pool forks after import: a child must not reuse its parent's Saxon."""
    validation.warm_up()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_validate_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == ["BR-CO-16"]


def test_known_rules_are_explained_and_unknown_ones_fall_back_to_their_text() -> None:
    report = validate_tree(build_tree(_broken(), Format.UBL), Format.UBL)
    [failure] = report.fatal
    assert failure.rule_id == "BR-CO-16"
    assert failure.explanation == explain("BR-CO-16")[0]
    assert failure.field == "totals"
    assert failure.flag == "fatal"
    assert "LegalMonetaryTotal" in failure.location
    assert "[BR-CO-16]" in failure.message
    assert explain("BR-XX-999") == ("", "")
