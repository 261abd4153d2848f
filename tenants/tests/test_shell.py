"""The app shell: nothing is fetched from another origin, and errors get our own pages.

The Content-Security-Policy only allows our own origin, so a CDN script, stylesheet or font
would break in production; these checks catch one in review instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tenants.models import Membership, Tenant

# A URL on another origin: absolute (http://, https://) or protocol-relative (//host/...).
_EXTERNAL = r"""(?:https?:)?//[^"'\s)>]+"""
# What would make a browser fetch a script, a stylesheet or a font.
EXTERNAL_ASSET = [
    ("script", re.compile(rf"""<script\b[^>]*\bsrc\s*=\s*["']?{_EXTERNAL}""", re.IGNORECASE)),
    (
        "stylesheet or font",
        re.compile(
            rf"""<link\b(?=[^>]*\brel\s*=\s*["']?[^"'>]*\b(?:stylesheet|preload|modulepreload|prefetch)\b)"""
            rf"""[^>]*\bhref\s*=\s*["']?{_EXTERNAL}""",
            re.IGNORECASE,
        ),
    ),
    ("CSS import", re.compile(rf"""@import\s+(?:url\(\s*)?["']?{_EXTERNAL}""", re.IGNORECASE)),
    ("CSS url()", re.compile(rf"""url\(\s*["']?{_EXTERNAL}""", re.IGNORECASE)),
]


def external_assets(text: str) -> list[str]:
    return [
        f"{kind}: {match.group(0)}" for kind, pattern in EXTERNAL_ASSET for match in pattern.finditer(text)
    ]


def _ours(path: Path) -> bool:
    base = Path(settings.BASE_DIR).resolve()
    path = path.resolve()
    return path.is_relative_to(base) and not {".venv", "site-packages"} & set(path.parts)


def template_files() -> list[Path]:
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", [])]
    folders += [Path(app.path) / "templates" for app in apps.get_app_configs() if _ours(Path(app.path))]
    return sorted(f for folder in folders if folder.is_dir() for f in folder.rglob("*") if f.is_file())


def our_stylesheets() -> list[Path]:
    return sorted(f for folder in map(Path, settings.STATICFILES_DIRS) for f in folder.rglob("*.css"))


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.example.com/htmx.js"></script>',
        "<script defer src='//cdn.example.com/app.js'></script>",
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Inter">',
        '<link href="https://cdn.example.com/x.css" rel="stylesheet">',
        '<link rel="preload" as="font" href="https://fonts.gstatic.com/inter.woff2" crossorigin>',
        "<style>@import url('https://fonts.googleapis.com/css?family=Inter');</style>",
        '@font-face { font-family: X; src: url("https://fonts.gstatic.com/x.woff2"); }',
    ],
)
def test_the_detector_finds_an_external_asset(snippet: str) -> None:
    assert external_assets(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'vendor/htmx.min.js' %}\" defer></script>",
        '<link rel="stylesheet" href="/static/css/app.css">',
        '<link rel="canonical" href="https://invoiceflow.example/pricing/">',
        '<a href="https://stripe.com/">Stripe</a>',
        '@font-face { src: url("../fonts/noto-sans-latin-400-normal.ttf"); }',
    ],
)
def test_the_detector_leaves_our_own_assets_and_plain_links_alone(snippet: str) -> None:
    assert external_assets(snippet) == []


def test_the_scan_covers_the_shell_and_every_app_of_ours() -> None:
    names = {f.relative_to(settings.BASE_DIR).as_posix() for f in template_files()}
    assert {"templates/base.html", "templates/404.html", "templates/500.html"} <= names
    assert any(name.startswith("templates/allauth/elements/") for name in names)
    assert not any(".venv" in name for name in names)
    assert Path(settings.BASE_DIR, "static", "css", "app.css") in our_stylesheets()


def test_no_template_loads_a_script_stylesheet_or_font_from_another_origin() -> None:
    found = {
        f.relative_to(settings.BASE_DIR).as_posix(): hits
        for f in template_files()
        if (hits := external_assets(f.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}


def test_no_stylesheet_of_ours_imports_css_or_fonts_from_another_origin() -> None:
    found = {
        f.relative_to(settings.BASE_DIR).as_posix(): hits
        for f in our_stylesheets()
        if (hits := external_assets(f.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}


# --- error pages ---------------------------------------------------------------------------------


def test_an_unknown_address_gets_our_404_page(db: None, settings: pytest.FixtureRequest) -> None:
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'data-testid="error-404"' in html
    assert "We couldn't find that page." in html
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_an_outsider_gets_our_404_page_on_another_tenants_pages(
    outsider_client: Client, tenant: Tenant, owner_membership: Membership, settings: pytest.FixtureRequest
) -> None:
    settings.DEBUG = False
    for path in (f"/t/{tenant.slug}/", f"/t/{tenant.slug}/members/", f"/t/{tenant.slug}/settings/"):
        response = outsider_client.get(path)
        assert response.status_code == 404, path
        assert "404.html" in [t.name for t in response.templates], path
        html = response.content.decode()
        assert 'data-testid="error-404"' in html
        assert tenant.name not in html  # nothing about the workspace leaks
        # Still the app shell: the outsider's own workspaces stay one click away.
        assert 'data-testid="tenant-switcher"' in html


def test_the_500_page_renders_without_a_request_context(settings: pytest.FixtureRequest) -> None:
    settings.DEBUG = False
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert 'data-testid="error-500"' in html
    assert 'href="/static/css/app.css"' in html
    assert "<script" not in html
    assert "style=" not in html
