"""Sliding-window rate limits: at most `limit` accepted hits per key in any `window_seconds`.

A sliding log, not fixed buckets: a user cannot get twice the limit by straddling a minute
boundary. With REDIS_URL set, the log is a Redis sorted set changed by one Lua script, so the
check and the insert are one atomic step across every web process; the clock is Redis's, so
web servers with skewed clocks agree. In the embedded default it is a dict under a lock (one
process only, which is what the embedded default runs).

Refused hits are not recorded: hammering does not push the next accepted hit further away.
"""

from __future__ import annotations

import functools
import math
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

import redis
from django.conf import settings

KEY_PREFIX = "ratelimit:"


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    # Whole seconds until a hit would be accepted (0 when this one was); for Retry-After.
    retry_after: int
    # Hits still accepted in the current window after this one.
    remaining: int


def rate_limit_hit(*, key: str, limit: int, window_seconds: int, now: float | None = None) -> RateLimitResult:
    """Record one hit for `key` if it fits in the window, and say whether it did.

    `now` (seconds since the epoch) is for tests that move the clock; by default Redis's own
    clock (or this process's) is used.
    """
    if limit < 1 or window_seconds < 1:
        raise ValueError("limit and window_seconds must be positive")
    if settings.REDIS_URL:
        return _redis_limiter(settings.REDIS_URL).hit(key, limit, window_seconds, now)
    return memory_limiter.hit(key, limit, window_seconds, now)


def _retry_after(oldest: float, window: float, now: float) -> int:
    # The oldest hit leaves the window at oldest + window; never advise 0 for a refusal.
    return max(1, math.ceil(oldest + window - now))


class MemoryLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, limit: int, window_seconds: int, now: float | None = None) -> RateLimitResult:
        with self._lock:
            at = time.time() if now is None else now
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= at - window_seconds:
                hits.popleft()
            if len(hits) < limit:
                hits.append(at)
                return RateLimitResult(allowed=True, retry_after=0, remaining=limit - len(hits))
            return RateLimitResult(
                allowed=False, retry_after=_retry_after(hits[0], window_seconds, at), remaining=0
            )

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


memory_limiter = MemoryLimiter()

# KEYS[1]: the sorted set of accepted hits (score: time in microseconds).
# ARGV: limit, window (µs), a unique member, and a time in µs or "" to use Redis's clock.
# Returns {allowed, retry_after_us, remaining}.
_SLIDING_WINDOW_LUA = """
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, 0, limit - count - 1}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return {0, oldest + window - now, 0}
"""


class RedisLimiter:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_SLIDING_WINDOW_LUA)

    def hit(self, key: str, limit: int, window_seconds: int, now: float | None = None) -> RateLimitResult:
        window_us = window_seconds * 1_000_000
        allowed, retry_after_us, remaining = self._script(
            keys=[KEY_PREFIX + key],
            args=[limit, window_us, secrets.token_hex(8), "" if now is None else int(now * 1_000_000)],
        )
        if allowed:
            return RateLimitResult(allowed=True, retry_after=0, remaining=int(remaining))
        return RateLimitResult(
            allowed=False, retry_after=max(1, math.ceil(int(retry_after_us) / 1_000_000)), remaining=0
        )


@functools.cache
def _redis_limiter(url: str) -> RedisLimiter:
    return RedisLimiter(url)
