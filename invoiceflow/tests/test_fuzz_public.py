"""Hypothesis against the pages anyone can reach without an account: no hostile value gets a 5xx.

- the client's invoice page `/i/<token>`, `/pay` and `/pdf`: hostile tokens (any bytes in the
  path), hostile query strings on a real link, hostile amounts paid through the Stripe stand-in;
- `/downloads/<token>/`: hostile tokens, and tokens minted with our own key around hostile
  payloads (the key is the only thing between them and the storage);
- the marketing pages, with hostile query strings, languages and cookies;
- allauth's login, sign-up and password-reset forms, with hostile values and `next`.

The API has its own fuzzing, against its schema (api/tests/test_schemathesis.py). Each test is
derandomized with a fixed number of examples and no example database, so a run is repeatable.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import PaymentSettings
from billing.tests.payment_fixtures import connect_tenant, invoice_with_link
from billing.tests.stripe_standin import StripeStandIn
from core.downloads import _fernet
from core.ratelimit import memory_limiter
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\r\nSet-Cookie: x=1",
    "x" * 5000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "..%2f..%2f..%2fetc%2fpasswd",
    "..\\..\\..\\etc\\passwd",
    "%00%ff",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "NaN",
    "Infinity",
    "-1",
    "1e400",
    "9" * 400,
    "0x10",
    "1_000",
    "١٢٣",
    "12,50",
    "1.005",
    "\uff41@\uff42.\uff43\uff4f\uff4d",  # full-width letters
    "a@b",
    "@",
]
texts = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_STRINGS))
# What a header can carry (latin-1, no control characters; servers refuse the rest).
header_texts = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60),
    st.sampled_from(
        ["en;q=NaN", "*;q=1e400", "zz-ZZ", "x" * 300, "de-DE-u-nu-arab", "sessionid=x; csrftoken=\xff"]
    ),
)
query_params = st.dictionaries(
    st.sampled_from(["checkout", "session_id", "p", "next", "page", "q", "lang", "amount"]) | texts,
    texts,
    max_size=4,
)


def encoded(value: str) -> bytes:
    # Lone surrogates become bytes that are not UTF-8: a client can send those too.
    return value.encode("utf-8", "surrogatepass")


def with_query(path: str, params: dict[str, str]) -> str:
    return path + "?" + urlencode({encoded(k): encoded(v) for k, v in params.items()})


def form(data: dict[str, str]) -> bytes:
    return urlencode({encoded(k): encoded(v) for k, v in data.items()}).encode("ascii")


def post_form(client: Client, path: str, data: dict[str, str]) -> Any:
    return client.post(path, form(data), content_type="application/x-www-form-urlencoded")


def assert_no_5xx(response: Any, what: object) -> None:
    assert response.status_code < 500, (response.status_code, what)


@pytest.fixture
def anon(settings: Any) -> Client:
    # Throttles answer 429 before the code under test runs: lifted so the fuzz reaches it.
    settings.INVOICE_LINK_RATE_LIMIT = 1_000_000
    settings.ACCOUNT_RATE_LIMITS = False
    memory_limiter.clear()
    return Client(REMOTE_ADDR="10.9.8.7")


@pytest.fixture
def payable_token(stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership) -> str:
    """The link of an open invoice of a tenant that takes partial card payments (stand-in)."""
    connect_tenant(stripe_standin, tenant, owner_membership)
    with tenant_scope(tenant):
        PaymentSettings.objects.create(allow_partial_payments=True)
    return invoice_with_link(tenant, owner_membership)[1]


@FUZZ
@given(
    token=st.one_of(st.binary(min_size=1, max_size=80), texts.filter(bool).map(encoded)),
    route=st.sampled_from(["", "/pay", "/pdf"]),
)
def test_invoice_link_routes_with_hostile_tokens(anon: Client, token: bytes, route: str) -> None:
    path = f"/i/{quote(token, safe='')}{route}"
    response = anon.post(path) if route == "/pay" else anon.get(path)
    assert response.status_code == 404, (response.status_code, path)


@FUZZ
@given(params=query_params, route=st.sampled_from(["", "/pdf"]))
def test_invoice_page_with_hostile_query(
    anon: Client, payable_token: str, params: dict[str, str], route: str
) -> None:
    response = anon.get(with_query(f"/i/{payable_token}{route}", params))
    # The page always shows; its PDF is not rendered yet.
    assert response.status_code == (200 if route == "" else 404), params


@FUZZ
@given(amount=texts, extra=st.dictionaries(texts, texts, max_size=2))
def test_paying_hostile_amounts(anon: Client, payable_token: str, amount: str, extra: dict[str, str]) -> None:
    response = post_form(anon, f"/i/{payable_token}/pay", {**extra, "amount": amount})
    # To Stripe's page, or the invoice page again with the reason: never a 5xx, and never a
    # 503 "Stripe is unavailable" for what is the payer's typing.
    assert response.status_code in (303, 400), (response.status_code, amount)


@FUZZ
@given(token=st.one_of(st.binary(min_size=1, max_size=200), texts.filter(bool).map(encoded)))
def test_download_links_with_hostile_tokens(anon: Client, token: bytes) -> None:
    response = anon.get(f"/downloads/{quote(token, safe='')}/")
    assert response.status_code == 404, (response.status_code, token)


def minted(payload: Any) -> str:
    return _fernet().encrypt(encoded(json.dumps(payload))).decode("ascii")


@pytest.mark.parametrize(
    "payload",
    [
        {"e": 300},  # no key
        {"k": 5, "f": "a.pdf", "t": "application/pdf", "e": 300},
        {"k": True, "f": "a.pdf", "t": "application/pdf", "e": 300},
        {"k": "a\x00b", "f": "a.pdf", "t": "application/pdf", "e": 300},
        {"k": "a", "f": "a.pdf", "t": "application/pdf", "e": "300"},
        [1, 2],
    ],
)
def test_download_token_of_another_shape_is_a_404(
    anon: Client, payload: Any, settings: Any, tmp_path: Any
) -> None:
    """Each of these crashed `serve_download` (KeyError, TypeError, ValueError) before it checked
    the shape of what it decrypted."""
    settings.MEDIA_ROOT = str(tmp_path)
    assert anon.get(f"/downloads/{minted(payload)}/").status_code == 404


token_payloads = st.one_of(
    st.dictionaries(
        st.sampled_from(["k", "f", "t", "e"]),
        st.one_of(
            texts, st.integers(), st.floats(), st.none(), st.booleans(), st.lists(st.integers(), max_size=2)
        ),
    ),
    st.lists(st.integers(), max_size=3),
    texts,
    st.integers(),
)


@FUZZ
@given(payload=token_payloads)
def test_download_tokens_minted_around_hostile_payloads(
    anon: Client, payload: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    response = anon.get(f"/downloads/{minted(payload)}/")
    assert response.status_code == 404, (response.status_code, payload)


@FUZZ
@given(
    path=st.sampled_from(
        ["/", "/pricing/", "/sitemap.xml", "/robots.txt", "/accounts/login/", "/accounts/signup/"]
    ),
    params=query_params,
    language=header_texts,
    cookie=header_texts,
)
def test_public_pages_with_hostile_query_language_and_cookies(
    anon: Client, path: str, params: dict[str, str], language: str, cookie: str
) -> None:
    response = anon.get(with_query(path, params), HTTP_ACCEPT_LANGUAGE=language, HTTP_COOKIE=cookie)
    assert_no_5xx(response, (path, params, language, cookie))


@FUZZ
@given(
    path=st.sampled_from(["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]),
    data=st.fixed_dictionaries(
        {},
        optional={
            "login": texts,
            "email": texts,
            "password": texts,
            "password1": texts,
            "password2": texts,
            "remember": texts,
            "next": texts,
        },
    ),
    next_url=texts,
)
def test_account_forms_with_hostile_values(
    anon: Client, path: str, data: dict[str, str], next_url: str
) -> None:
    response = post_form(anon, with_query(path, {"next": next_url}), data)
    assert_no_5xx(response, (path, data, next_url))
