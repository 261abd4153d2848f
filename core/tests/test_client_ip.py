"""FORWARDED_ALLOW_IPS is parsed strictly and `*` never starts the app; the client address the
ASGI edge resolves is what allauth keys its limits on. (Real proxies: test_proxy_headers.py.)"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from core.client_ip import DEFAULT_TRUSTED_PROXIES, client_ip, trusted_proxies

BASE_DIR = Path(settings.BASE_DIR)


def test_addresses_and_networks_are_normalized() -> None:
    assert trusted_proxies(" 10.0.0.5, 10.1.0.0/16 ,2001:db8::/32,::1") == [
        "10.0.0.5/32",
        "10.1.0.0/16",
        "2001:db8::/32",
        "::1/128",
    ]
    assert trusted_proxies(DEFAULT_TRUSTED_PROXIES) == ["127.0.0.1/32", "::1/128"]
    assert trusted_proxies("") == []


@pytest.mark.parametrize("value", ["*", "10.0.0.5,*", " * "])
def test_a_wildcard_is_refused(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"FORWARDED_ALLOW_IPS=\* lets every client choose"):
        trusted_proxies(value)


@pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.5/24", "10.0.0.256", "unix:/run/nginx.sock"])
def test_anything_but_an_address_or_network_is_refused(value: str) -> None:
    # uvicorn would keep these as names no peer ever matches: a typo would silently trust nobody.
    with pytest.raises(ImproperlyConfigured, match=f"FORWARDED_ALLOW_IPS: {value!r} is not an IP"):
        trusted_proxies(value)


@pytest.mark.parametrize("debug", ["true", "false"])
def test_settings_refuse_to_load_with_a_wildcard(debug: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DEBUG=debug,
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="invoices.example.com",
        EMAIL_HOST="smtp.example.com",
        FORWARDED_ALLOW_IPS="*",
        DJANGO_SETTINGS_MODULE="invoiceflow.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: FORWARDED_ALLOW_IPS=* lets every client choose" in result.stderr


def test_env_example_names_proxies_not_a_wildcard() -> None:
    values = [
        line.split("=", 1)[1]
        for line in (BASE_DIR / ".env.example").read_text().splitlines()
        if line.startswith("FORWARDED_ALLOW_IPS=")
    ]
    assert len(values) == 1
    assert trusted_proxies(values[0])  # parses, and names at least one proxy


def test_allauth_keys_its_limits_on_the_resolved_address(settings) -> None:
    # Even told to read X-Forwarded-For itself, allauth asks the one place instead.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert get_adapter(request).get_client_ip(request) == "198.51.100.7" == client_ip(request)
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) == "unknown"
