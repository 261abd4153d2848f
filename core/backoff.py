"""Growing delays after failures: the sign-in guard's counters (tenants/auth_guard.py).

Each `BackoffRule` names a key (an account, an address, an account from one address) and counts
the failures recorded under it in the last `window_seconds`. The first `free` failures cost
nothing; after that the next attempt waits `base_delay`, then twice that, four times… (at most
`max_delay`) counted from the latest failure. A rule may name a *hot* key (another rule's): while
that key holds `hot_threshold` failures or more, the rule allows only `hot_free`. That is how an
account guessed at from many addresses tightens every address that has failed on it, without
touching an address that has not.

`backoff_reserve` checks every rule and, when none asks to wait, records the attempt as a failure
under every key in one atomic step (a Lua script on Redis; a dict under a lock in the embedded
default), so concurrent attempts see each other: fifty requests sent together cannot all slip
through the same gap. An attempt that succeeds is taken back with `backoff_release`. Refused
attempts are not recorded: hammering during a delay does not lengthen it.

Why not `core.ratelimit`: its sliding log refuses past a fixed count and records every
accepted hit. Sign-in needs "record first, take back on success" and a delay that grows with
the count, so this is the same sorted-set log with a different script.

The clock is the caller's (`now`, seconds since the epoch), not Redis's: the delays are tens of
seconds to minutes, far above the skew of NTP-synced servers, and tests can move it.
"""

from __future__ import annotations

import functools
import math
import secrets
import threading
from dataclasses import dataclass

import redis
from django.conf import settings

KEY_PREFIX = "backoff:"


@dataclass(frozen=True)
class BackoffRule:
    key: str
    window_seconds: int
    free: int
    base_delay: int  # seconds; 0 = this key only counts (e.g. to be another rule's hot key)
    max_delay: int
    hot_key: str | None = None
    hot_threshold: int = 0
    hot_free: int = 0


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    # Whole seconds before an attempt would be accepted (0 when this one was).
    retry_after: int
    # The recorded attempt, to take back with backoff_release (empty when refused).
    member: str = ""
    keys: tuple[str, ...] = ()


def _delay(count: int, free: int, base: float, cap: float) -> float:
    if base <= 0 or count == 0 or count < free:
        return 0.0
    return min(base * 2.0 ** min(count - free, 60), cap)


def _check_rules(rules: list[BackoffRule]) -> None:
    keys = [rule.key for rule in rules]
    if len(set(keys)) != len(keys):
        raise ValueError("each rule needs its own key")
    for rule in rules:
        if (
            rule.window_seconds < 1
            or rule.free < 0
            or rule.base_delay < 0
            or rule.max_delay < rule.base_delay
        ):
            raise ValueError(f"invalid backoff rule {rule}")
        if rule.hot_key is not None and rule.hot_key not in keys:
            raise ValueError("a rule's hot key must be another rule's key")


def backoff_reserve(rules: list[BackoffRule], *, now: float) -> Reservation:
    """Record one attempt under every rule's key unless a rule asks to wait first."""
    _check_rules(rules)
    if settings.REDIS_URL:
        return _redis_backoff(settings.REDIS_URL).reserve(rules, now)
    return memory_backoff.reserve(rules, now)


def backoff_release(reservation: Reservation) -> None:
    """Take back a recorded attempt (it succeeded): it no longer counts as a failure."""
    if not reservation.member:
        return
    if settings.REDIS_URL:
        _redis_backoff(settings.REDIS_URL).release(reservation.keys, reservation.member)
    else:
        memory_backoff.release(reservation.keys, reservation.member)


def backoff_clear(keys: list[str]) -> None:
    """Forget every failure recorded under `keys`."""
    if settings.REDIS_URL:
        _redis_backoff(settings.REDIS_URL).clear(keys)
    else:
        memory_backoff.clear(keys)


class MemoryBackoff:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._log: dict[str, dict[str, float]] = {}

    def reserve(self, rules: list[BackoffRule], now: float) -> Reservation:
        with self._lock:
            counts: dict[str, int] = {}
            for rule in rules:
                entries = self._log.setdefault(rule.key, {})
                for member in [m for m, at in entries.items() if at <= now - rule.window_seconds]:
                    del entries[member]
                counts[rule.key] = len(entries)
            wait = 0.0
            for rule in rules:
                free = rule.free
                if rule.hot_key is not None and counts[rule.hot_key] >= rule.hot_threshold:
                    free = rule.hot_free
                delay = _delay(counts[rule.key], free, rule.base_delay, rule.max_delay)
                if delay:
                    wait = max(wait, max(self._log[rule.key].values()) + delay - now)
            if wait > 0:
                return Reservation(allowed=False, retry_after=max(1, math.ceil(wait)))
            member = secrets.token_hex(8)
            for rule in rules:
                self._log[rule.key][member] = now
            return Reservation(allowed=True, retry_after=0, member=member, keys=tuple(r.key for r in rules))

    def release(self, keys: tuple[str, ...], member: str) -> None:
        with self._lock:
            for key in keys:
                self._log.get(key, {}).pop(member, None)

    def clear(self, keys: list[str] | None = None) -> None:
        with self._lock:
            for key in list(self._log) if keys is None else keys:
                self._log.pop(key, None)


memory_backoff = MemoryBackoff()

# KEYS: one sorted set per rule (member: attempt id, score: time in µs).
# ARGV[1]: now (µs), ARGV[2]: the new attempt's id, then 7 numbers per rule:
#   window (µs), free, base delay (µs), max delay (µs), hot rule's index (0: none),
#   hot threshold, free while hot.
# Returns {1, 0} when recorded, {0, wait_µs} when refused.
_RESERVE_LUA = """
local now = tonumber(ARGV[1])
local counts = {}
for i = 1, #KEYS do
  local window = tonumber(ARGV[3 + (i - 1) * 7])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  counts[i] = redis.call('ZCARD', KEYS[i])
end
local wait = 0
for i = 1, #KEYS do
  local at = 3 + (i - 1) * 7
  local free = tonumber(ARGV[at + 1])
  local base = tonumber(ARGV[at + 2])
  local cap = tonumber(ARGV[at + 3])
  local hot = tonumber(ARGV[at + 4])
  if hot > 0 and counts[hot] >= tonumber(ARGV[at + 5]) then
    free = tonumber(ARGV[at + 6])
  end
  if base > 0 and counts[i] > 0 and counts[i] >= free then
    local delay = math.min(base * 2 ^ math.min(counts[i] - free, 60), cap)
    local latest = tonumber(redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')[2])
    wait = math.max(wait, latest + delay - now)
  end
end
if wait > 0 then
  return {0, math.ceil(wait)}
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[3 + (i - 1) * 7]) / 1000))
end
return {1, 0}
"""


class RedisBackoff:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_RESERVE_LUA)

    def reserve(self, rules: list[BackoffRule], now: float) -> Reservation:
        index = {rule.key: position for position, rule in enumerate(rules, start=1)}
        member = secrets.token_hex(8)
        args: list[int | str] = [int(now * 1_000_000), member]
        for rule in rules:
            args += [
                rule.window_seconds * 1_000_000,
                rule.free,
                rule.base_delay * 1_000_000,
                rule.max_delay * 1_000_000,
                index[rule.hot_key] if rule.hot_key is not None else 0,
                rule.hot_threshold,
                rule.hot_free,
            ]
        keys = [KEY_PREFIX + rule.key for rule in rules]
        allowed, wait_us = self._script(keys=keys, args=args)
        if not allowed:
            return Reservation(allowed=False, retry_after=max(1, math.ceil(int(wait_us) / 1_000_000)))
        return Reservation(allowed=True, retry_after=0, member=member, keys=tuple(r.key for r in rules))

    def release(self, keys: tuple[str, ...], member: str) -> None:
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.zrem(KEY_PREFIX + key, member)
        pipe.execute()

    def clear(self, keys: list[str]) -> None:
        if keys:
            self._client.delete(*(KEY_PREFIX + key for key in keys))


@functools.cache
def _redis_backoff(url: str) -> RedisBackoff:
    return RedisBackoff(url)
