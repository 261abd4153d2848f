"""Growing delays after failures (core/backoff.py), in memory and in real Redis, with
real concurrency: threads released together by a barrier."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.backoff import (
    BackoffRule,
    Reservation,
    backoff_clear,
    backoff_release,
    backoff_reserve,
    memory_backoff,
)

BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=BACKENDS)
def backend(request, settings) -> str:
    if request.param == "memory":
        settings.REDIS_URL = ""
        memory_backoff.clear()
    return request.param


def key(name: str) -> str:
    return f"test:{name}:{uuid.uuid4().hex}"


def rule(name: str, *, free: int = 3, base: int = 10, cap: int = 60, **extra) -> BackoffRule:
    return BackoffRule(key=name, window_seconds=3600, free=free, base_delay=base, max_delay=cap, **extra)


def test_free_failures_then_delays_that_double_up_to_the_cap(backend):
    rules = [rule(key("pair"))]
    t0 = time.time()
    for i in range(3):
        assert backoff_reserve(rules, now=t0 + i).allowed
    # Three failures, the latest at t0+2: the next try waits 10 s from it.
    refused = backoff_reserve(rules, now=t0 + 3)
    assert refused == Reservation(allowed=False, retry_after=9)
    assert backoff_reserve(rules, now=t0 + 12.5).allowed  # 4th failure at t0+12.5
    assert backoff_reserve(rules, now=t0 + 30).retry_after == 3  # 20 s from t0+12.5
    assert backoff_reserve(rules, now=t0 + 33).allowed  # 5th
    assert backoff_reserve(rules, now=t0 + 33).retry_after == 40
    assert backoff_reserve(rules, now=t0 + 73).allowed  # 6th
    assert backoff_reserve(rules, now=t0 + 73).retry_after == 60  # 80 s, capped at 60
    assert backoff_reserve(rules, now=t0 + 133).allowed


def test_refused_attempts_do_not_lengthen_the_wait(backend):
    rules = [rule(key("pair"), free=1)]
    t0 = time.time()
    assert backoff_reserve(rules, now=t0).allowed
    for second in range(1, 10):
        assert backoff_reserve(rules, now=t0 + second).retry_after == 10 - second
    assert backoff_reserve(rules, now=t0 + 10).allowed


def test_a_released_attempt_is_not_a_failure(backend):
    rules = [rule(key("pair"), free=2)]
    t0 = time.time()
    for _ in range(5):
        reservation = backoff_reserve(rules, now=t0)
        assert reservation.allowed
        backoff_release(reservation)
    assert backoff_reserve(rules, now=t0).allowed
    assert backoff_reserve(rules, now=t0).allowed
    assert not backoff_reserve(rules, now=t0).allowed


def test_failures_leave_the_window(backend):
    rules = [BackoffRule(key("pair"), window_seconds=100, free=2, base_delay=1000, max_delay=1000)]
    t0 = time.time()
    backoff_reserve(rules, now=t0)
    backoff_reserve(rules, now=t0 + 1)
    assert backoff_reserve(rules, now=t0 + 2).retry_after == 999
    # Both failures are older than the window: nothing counts any more.
    assert backoff_reserve(rules, now=t0 + 102).allowed


def test_a_hot_key_tightens_only_keys_that_have_failed(backend):
    account = key("account")
    counting = BackoffRule(account, 3600, free=0, base_delay=0, max_delay=0)

    def pair(name: str) -> BackoffRule:
        return rule(name, free=5, hot_key=account, hot_threshold=4, hot_free=1)

    t0 = time.time()
    pairs = [key(f"pair-{n}") for n in range(4)]
    for name in pairs:
        assert backoff_reserve([pair(name), counting], now=t0).allowed
    # The account has 4 failures: an address with one failure now waits...
    assert backoff_reserve([pair(pairs[0]), counting], now=t0 + 1).retry_after == 9
    # ...an address with none goes through at once, and it does not count as "failed" yet.
    assert backoff_reserve([pair(key("fresh")), counting], now=t0 + 1).allowed
    # The count-only key itself never asks anyone to wait.
    assert backoff_reserve([counting], now=t0 + 1).allowed


def test_the_longest_wait_of_all_rules_applies_and_nothing_is_recorded_when_refused(backend):
    slow, fast = rule(key("slow"), free=1, base=100, cap=100), rule(key("fast"), free=1, base=5, cap=5)
    t0 = time.time()
    assert backoff_reserve([slow], now=t0).allowed
    assert backoff_reserve([slow, fast], now=t0 + 1).retry_after == 99
    # The refused attempt was not recorded under `fast`.
    assert backoff_reserve([fast], now=t0 + 1).allowed


def test_clear_forgets_a_key(backend):
    rules = [rule(key("pair"), free=1)]
    t0 = time.time()
    backoff_reserve(rules, now=t0)
    assert not backoff_reserve(rules, now=t0).allowed
    backoff_clear([rules[0].key])
    assert backoff_reserve(rules, now=t0).allowed


def test_twenty_simultaneous_attempts_get_exactly_the_free_ones(backend):
    rules = [rule(key("pair"), free=5)]
    now = time.time()
    barrier = threading.Barrier(20)

    def one() -> Reservation:
        barrier.wait(timeout=10)
        return backoff_reserve(rules, now=now)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = [future.result(timeout=20) for future in [pool.submit(one) for _ in range(20)]]
    assert sum(r.allowed for r in results) == 5
    assert all(r.retry_after == 10 for r in results if not r.allowed)


def test_bad_rules_are_refused(backend):
    with pytest.raises(ValueError, match="its own key"):
        backoff_reserve([rule("same"), rule("same")], now=time.time())
    with pytest.raises(ValueError, match="hot key"):
        backoff_reserve([rule("a", hot_key="elsewhere")], now=time.time())
    with pytest.raises(ValueError, match="invalid"):
        backoff_reserve([BackoffRule("a", 0, 1, 1, 1)], now=time.time())


@pytest.mark.redis
def test_redis_keys_expire_with_their_window(settings):
    import redis

    from core.backoff import KEY_PREFIX

    name = key("ttl")
    backoff_reserve(
        [BackoffRule(name, window_seconds=120, free=1, base_delay=1, max_delay=1)], now=time.time()
    )
    ttl = redis.Redis.from_url(settings.REDIS_URL).pttl(KEY_PREFIX + name)
    assert 110_000 < ttl <= 120_000
