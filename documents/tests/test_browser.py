"""Generate a PDF in a real browser (Chromium) against the app served by uvicorn (ASGI, with the
WebSocket): the status turns processing, then ready, without a reload; the file downloads."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from conftest import CHROMIUM
from core.ratelimit import memory_limiter
from documents.tests.pdf_samples import sample_invoice
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Records every status the PDF badge shows, however briefly (a MutationObserver in the page).
RECORD_STATUSES = """
window.__docStatuses = [];
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector('[data-testid="document-box"]');
  if (!box) return;
  new MutationObserver(() => {
    const last = window.__docStatuses[window.__docStatuses.length - 1];
    if (box.dataset.docStatus !== last) window.__docStatuses.push(box.dataset.docStatus);
  }).observe(box, { attributes: true, attributeFilter: ["data-doc-status"] });
});
"""


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
    # thread with a running loop unless told that this is deliberate (the test drives both).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@dataclass
class Served:
    url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def asgi_server(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """The ASGI application (HTTP + WebSocket) under uvicorn, in a thread of this process.

    Tasks run in-process after commit (as in the embedded default): the render happens in the
    server, and its status reaches the page through the channel layer and the socket.
    """
    import uvicorn
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from invoiceflow.asgi import application, django_asgi_app
    from invoiceflow.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    # Static files as the development server serves them (tests run with DEBUG off).
    served = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(django_asgi_app),
            "websocket": application.application_mapping["websocket"],
        }
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            served, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="websockets"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Served(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_generate_shows_processing_then_ready_without_reload_and_downloads(
    asgi_server, browser, tenant, owner, owner_membership, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    memory_limiter.clear()
    with tenant_scope(tenant):
        invoice = sample_invoice(lines=4, actor=owner_membership)
    client = DjangoClient()
    client.force_login(owner)
    context = browser.new_context(accept_downloads=True)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": asgi_server.url,
            }
        ]
    )
    context.add_init_script(RECORD_STATUSES)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{asgi_server.url}/t/{tenant.slug}/invoices/{invoice.public_id}/")
    expect(page.locator("#documents-live[data-socket=open]")).to_be_attached(timeout=15000)
    page.evaluate("window.__loadedOnce = true")
    status = page.get_by_test_id("document-status")
    assert status.inner_text() == "Not generated"

    page.get_by_test_id("document-generate").click()
    expect(page.locator("[data-testid=document-box][data-doc-status=ready]")).to_be_visible(timeout=30000)
    assert page.evaluate("window.__loadedOnce") is True  # the same page: no reload
    seen = page.evaluate("window.__docStatuses")
    assert "processing" in seen
    assert seen.index("processing") < seen.index("ready")
    assert status.inner_text() == "Ready"
    assert errors == []

    with page.expect_download() as waiting:
        page.get_by_test_id("document-download").click()
    download = waiting.value
    assert download.suggested_filename == f"{invoice.number}.pdf"
    assert open(download.path(), "rb").read(5) == b"%PDF-"  # noqa: SIM115
    page.screenshot(path=str(tmp_path / "invoice-page.png"), full_page=True)
    context.close()


def test_bulk_zip_shows_progress_and_downloads_one_archive(
    asgi_server, browser, tenant, owner, owner_membership, settings, tmp_path
):
    import zipfile

    settings.MEDIA_ROOT = tmp_path / "media"
    memory_limiter.clear()
    with tenant_scope(tenant):
        numbers = sorted(sample_invoice(lines=2, actor=owner_membership).number for _ in range(3))
    client = DjangoClient()
    client.force_login(owner)
    context = browser.new_context(accept_downloads=True)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": asgi_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{asgi_server.url}/t/{tenant.slug}/invoices/")
    expect(page.locator("#documents-live[data-socket=open]")).to_be_attached(timeout=15000)
    page.locator("[data-bulk-all]").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3")
    page.get_by_test_id("bulk-zip").click()
    expect(page.locator("[data-bulk-form][data-bulk-status=ready]")).to_be_attached(timeout=60000)
    expect(page.locator("[data-bulk-text]")).to_have_text("3 / 3")
    # The rows caught up too: every invoice now has its PDF.
    expect(page.locator("[data-doc-invoice][data-doc-status=ready]")).to_have_count(3)
    with page.expect_download() as waiting:
        page.locator("[data-bulk-download]").click()
    archive = zipfile.ZipFile(waiting.value.path())
    assert sorted(archive.namelist()) == [f"{number}.pdf" for number in numbers]
    context.close()
