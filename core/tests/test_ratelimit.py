"""The sliding-window limiter, in memory (embedded default) and in real Redis, under real
concurrency: threads released together by a barrier."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.ratelimit import RateLimitResult, memory_limiter, rate_limit_hit

BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=BACKENDS)
def backend(request, settings) -> str:
    if request.param == "memory":
        settings.REDIS_URL = ""
        memory_limiter.clear()
    return request.param


def unique_key(name: str) -> str:
    return f"test:{name}:{uuid.uuid4().hex}"


def hit_together(key: str, count: int, *, limit: int, window_seconds: int) -> list[RateLimitResult]:
    barrier = threading.Barrier(count)

    def one() -> RateLimitResult:
        barrier.wait(timeout=10)
        return rate_limit_hit(key=key, limit=limit, window_seconds=window_seconds)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(one) for _ in range(count)]
        return [future.result(timeout=20) for future in futures]


def test_twenty_simultaneous_hits_accept_exactly_five(backend):
    key, other = unique_key("user-1"), unique_key("user-2")

    results = hit_together(key, 20, limit=5, window_seconds=60)

    accepted = [r for r in results if r.allowed]
    refused = [r for r in results if not r.allowed]
    assert len(accepted) == 5
    assert len(refused) == 15
    assert sorted(r.remaining for r in accepted) == [0, 1, 2, 3, 4]
    assert all(r.remaining == 0 and 1 <= r.retry_after <= 60 for r in refused)
    # Another user is unaffected.
    assert rate_limit_hit(key=other, limit=5, window_seconds=60) == RateLimitResult(True, 0, 4)


def test_the_window_slides(backend):
    key = unique_key("slide")
    t0 = time.time()

    for i in range(5):
        assert rate_limit_hit(key=key, limit=5, window_seconds=60, now=t0 + i * 10).allowed
    refused = rate_limit_hit(key=key, limit=5, window_seconds=60, now=t0 + 45)
    # The first hit (t0) leaves the window at t0 + 60: 15 s from now.
    assert refused == RateLimitResult(allowed=False, retry_after=15, remaining=0)
    # Refusals are not recorded: they do not push the next slot away.
    assert rate_limit_hit(key=key, limit=5, window_seconds=60, now=t0 + 59.5).retry_after == 1

    assert rate_limit_hit(key=key, limit=5, window_seconds=60, now=t0 + 60).allowed
    # Only one slot came free: the hit at t0 + 10 is still inside the window.
    after = rate_limit_hit(key=key, limit=5, window_seconds=60, now=t0 + 61)
    assert after == RateLimitResult(allowed=False, retry_after=9, remaining=0)
    assert rate_limit_hit(key=key, limit=5, window_seconds=60, now=t0 + 70).allowed


def test_no_straddling_a_boundary_for_twice_the_limit(backend):
    key = unique_key("boundary")
    t0 = 1_800_000_000.0
    assert all(rate_limit_hit(key=key, limit=3, window_seconds=60, now=t0 + 59).allowed for _ in range(3))
    # A fixed per-minute bucket would reset at t0 + 60; a sliding window does not.
    assert not rate_limit_hit(key=key, limit=3, window_seconds=60, now=t0 + 61).allowed


@pytest.mark.redis
def test_redis_clock_window_slides_in_real_time(settings):
    key = unique_key("realtime")
    assert rate_limit_hit(key=key, limit=2, window_seconds=1).allowed
    assert rate_limit_hit(key=key, limit=2, window_seconds=1).allowed
    refused = rate_limit_hit(key=key, limit=2, window_seconds=1)
    assert refused == RateLimitResult(allowed=False, retry_after=1, remaining=0)
    time.sleep(1.05)
    assert rate_limit_hit(key=key, limit=2, window_seconds=1).allowed


@pytest.mark.redis
def test_redis_key_expires_with_its_window(settings):
    import redis

    key = unique_key("ttl")
    rate_limit_hit(key=key, limit=2, window_seconds=30)
    ttl_ms = redis.Redis.from_url(settings.REDIS_URL).pttl(f"ratelimit:{key}")
    assert 29_000 < ttl_ms <= 30_000


def test_invalid_limits_are_refused():
    with pytest.raises(ValueError, match="positive"):
        rate_limit_hit(key="k", limit=0, window_seconds=60)
