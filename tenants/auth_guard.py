"""The one sign-in guard every way in calls, and the one audit it writes.

Doors: the web login, its two-factor step and re-authentication (tenants/adapters.py,
tenants/forms.py); the API's token, refresh and sign-out endpoints (api/views/auth.py).

Failures are counted together, whatever the door — five wrong passwords on the web count for
the API too — under three keys (core/backoff.py):

- the account from one address: 5 failures an hour are free, then the next try waits 30 s,
  1 min, 2 min… up to 15 min;
- the address, whatever the account: 30 free an hour, then the same growing delays (one
  address spraying many accounts);
- the account, from anywhere: only counted. At 20 failures an hour the account is under attack
  from many addresses, and every address that has failed on it gets 1 free try instead of 5.

There is no lock a stranger can set off for the owner: the delays apply to the addresses that
failed. The owner signing in from an address with no failures gets in at once, however hard
the account is being guessed at elsewhere. A refusal names its wait (Retry-After on the API,
a message on the form); attempts refused during a wait are not counted and do not lengthen it.

A signed-in account forgets its failures from that address; its account-wide and address-wide
counts stay (a success does not vouch for the other attempts made from a shared address), so
an attacker cannot reset them by signing into an account of their own between guesses.

Refresh and sign-out present a signed 256-bit token, not a secret a person chose: nothing to
guess per account. Their failures are counted per address on a key of their own, so a script
replaying a revoked token does not slow its office's password sign-ins.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.backoff import BackoffRule, Reservation, backoff_clear, backoff_release, backoff_reserve
from core.client_ip import client_ip
from core.ratelimit import rate_limit_hit
from tenants.auth_models import AuthEvent
from tenants.models import User

logger = logging.getLogger("invoiceflow.auth")

Door = AuthEvent.Door
Outcome = AuthEvent.Outcome

WINDOW_SECONDS = 3600
PAIR_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 30
HOT_ACCOUNT_FAILURES = 20
HOT_PAIR_FREE_FAILURES = 1
TOKEN_ADDRESS_FREE_FAILURES = 20
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 900
# How long the audit keeps its rows (auth_events_purge, daily from celery beat).
AUTH_EVENT_RETENTION = timedelta(days=90)
# Refused attempts written to the audit table per address and minute; the rest go to the log
# only, so a flood of refused requests cannot turn into a flood of rows.
THROTTLED_EVENTS_PER_MINUTE = 10

_TOKEN_DOORS = frozenset({Door.API_REFRESH, Door.API_LOGOUT})


class SignInThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def message(self) -> str:
        seconds = self.retry_after
        if seconds < 60:
            wait = ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
        else:
            minutes = -(-seconds // 60)
            wait = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        return _("Too many failed sign-in attempts from here. Try again in %(wait)s.") % {"wait": wait}


def client_address(request: HttpRequest) -> str:
    # The one reading of the client's address, as for every other limit: resolved from the
    # trusted proxies only, so a guesser cannot choose its own key.
    return client_ip(request)


def _address_key(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"addr:{address or 'unknown'}"
    if parsed.version == 6:
        # One IPv6 subscriber holds a whole /64: count it as one address.
        return f"addr:{ipaddress.ip_network(f'{parsed}/64', strict=False).network_address}"
    return f"addr:{parsed}"


def _account_key(login: str) -> str:
    # The login as typed (an unknown address is counted like a real one: the limit says nothing
    # about which accounts exist), hashed so no address sits in Redis.
    return "acct:" + hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]


def _pair_key(account_key: str, address_key: str) -> str:
    return f"{account_key}|{address_key}"


def _rules(*, door: str, login: str | None, address: str) -> list[BackoffRule]:
    address_key = _address_key(address)
    if door in _TOKEN_DOORS or not login:
        return [
            BackoffRule(
                f"token-{address_key}",
                WINDOW_SECONDS,
                TOKEN_ADDRESS_FREE_FAILURES,
                BASE_DELAY_SECONDS,
                MAX_DELAY_SECONDS,
            )
        ]
    account_key = _account_key(login)
    return [
        BackoffRule(
            _pair_key(account_key, address_key),
            WINDOW_SECONDS,
            PAIR_FREE_FAILURES,
            hot_key=account_key,
            hot_threshold=HOT_ACCOUNT_FAILURES,
            hot_free=HOT_PAIR_FREE_FAILURES,
            base_delay=BASE_DELAY_SECONDS,
            max_delay=MAX_DELAY_SECONDS,
        ),
        BackoffRule(account_key, WINDOW_SECONDS, free=0, base_delay=0, max_delay=0),
        BackoffRule(
            address_key, WINDOW_SECONDS, ADDRESS_FREE_FAILURES, BASE_DELAY_SECONDS, MAX_DELAY_SECONDS
        ),
    ]


def _valid_ip(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def auth_event_record(
    *, request: HttpRequest | None, door: str, outcome: str, user: User | None = None, detail: str = ""
) -> AuthEvent | None:
    """Write one audit row and one log line. Never a password, code or token: `detail` is a
    short reason chosen by the caller. `request` is None for a change made by no request of the
    user's (e.g. an admin removing them from a workspace)."""
    address = client_address(request) if request is not None else ""
    logger.info(
        "auth %s %s",
        door,
        outcome,
        extra={
            "auth_door": door,
            "auth_outcome": outcome,
            "user_id": user.pk if user else None,
            "client_address": address,
            "detail": detail,
        },
    )
    if (
        outcome == Outcome.THROTTLED
        and not rate_limit_hit(
            key=f"signin-audit:{_address_key(address)}", limit=THROTTLED_EVENTS_PER_MINUTE, window_seconds=60
        ).allowed
    ):
        return None
    return AuthEvent.objects.create(
        door=door,
        outcome=outcome,
        user=user,
        address=_valid_ip(address),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else "",
        detail=detail[:200],
    )


def _known_user(login: str | None) -> User | None:
    if not login:
        return None
    # Addresses are stored lower-case (UserManager), so this is an index lookup.
    return User.objects.filter(email=login.strip().lower()).first()


@dataclass
class SignInAttempt:
    """One attempt that passed the guard, counted as a failure until it says otherwise (an
    attempt never settled, e.g. by an unexpected error, stays a failure)."""

    request: HttpRequest
    door: str
    login: str | None
    reservation: Reservation

    def failed(self, *, user: User | None = None, detail: str = "") -> None:
        auth_event_record(
            request=self.request,
            door=self.door,
            outcome=Outcome.FAILED,
            user=user or _known_user(self.login),
            detail=detail,
        )

    def passed(self) -> None:
        """This step was right; the sign-in completes later (signin_completed), or is not one."""
        backoff_release(self.reservation)

    def needs_second_factor(self, *, user: User) -> None:
        self.passed()
        auth_event_record(request=self.request, door=self.door, outcome=Outcome.MFA_REQUIRED, user=user)

    def succeeded(self, *, user: User, detail: str = "") -> None:
        self.passed()
        if self.login:
            _forget_pair(self.request, self.login)
        auth_event_record(
            request=self.request, door=self.door, outcome=Outcome.SUCCEEDED, user=user, detail=detail
        )


def signin_attempt_begin(*, request: HttpRequest, door: str, login: str | None) -> SignInAttempt:
    """Let one attempt through the guard, or raise SignInThrottled (and audit the refusal).

    The attempt is recorded as a failure before the password is checked, so concurrent
    attempts count against each other; the caller settles it with `failed`, `passed`,
    `needs_second_factor` or `succeeded`.
    """
    rules = _rules(door=door, login=login, address=client_address(request))
    reservation = backoff_reserve(rules, now=time.time())
    if not reservation.allowed:
        auth_event_record(
            request=request,
            door=door,
            outcome=Outcome.THROTTLED,
            user=_known_user(login),
            detail=f"retry after {reservation.retry_after} s",
        )
        raise SignInThrottled(reservation.retry_after)
    return SignInAttempt(request=request, door=door, login=login, reservation=reservation)


def _forget_pair(request: HttpRequest, login: str) -> None:
    address_key = _address_key(client_address(request))
    backoff_clear([_pair_key(_account_key(login), address_key)])


def signin_completed(*, request: HttpRequest, user: User, door: str = Door.WEB, detail: str = "") -> None:
    """A web sign-in went through every step (password, two-factor, or a social provider)."""
    _forget_pair(request, user.email)
    auth_event_record(request=request, door=door, outcome=Outcome.SUCCEEDED, user=user, detail=detail)


def signin_failures_forgive(*, request: HttpRequest, user: User) -> None:
    """The owner proved control of the mailbox (password reset): forget this address's
    failures on the account."""
    _forget_pair(request, user.email)


def auth_events_purge() -> int:
    """Delete audit rows past the retention period; the number deleted."""
    deleted, _by_model = AuthEvent.objects.filter(at__lt=timezone.now() - AUTH_EVENT_RETENTION).delete()
    return deleted
