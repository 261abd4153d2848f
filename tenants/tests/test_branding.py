"""Workspace branding: the logo and brand colour on the settings page, as owners and admins set
them and as the invoice PDF prints them (images listed with poppler's pdfimages)."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image, PngImagePlugin

from core.errors import ApplicationError
from documents.render import load_invoice_for_render, render_invoice_pdf
from documents.tests.pdf_samples import sample_invoice
from tenants import services
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope
from tenants.tests.fixtures import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: object, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def picture(fmt: str = "PNG", size: tuple[int, int] = (240, 80), color: str = "#0f766e") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def upload(content: bytes, name: str = "logo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def post_branding(client: Client, tenant: Tenant, content: bytes | None = None, **extra: object) -> object:
    data: dict[str, object] = {"brand_color": "#0f766e", **extra}
    if content is not None:
        data.setdefault("logo", upload(content))
    return client.post(reverse("tenant_branding", args=[tenant.slug]), data)


def stored_files(media: Path) -> list[str]:
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


def pdf_images(pdf: bytes, tmp_path: Path) -> list[tuple[int, int]]:
    """(width, height) of every image in the PDF, from `pdfimages -list`."""
    path = tmp_path / "branded.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]  # a header line and a rule
    return [(int(row.split()[3]), int(row.split()[4])) for row in listing if row.split()[2] == "image"]


def invoice_pdf(tenant: Tenant, membership: Membership) -> bytes:
    with tenant_scope(tenant):
        invoice = sample_invoice(lines=1, actor=membership)
        return render_invoice_pdf(load_invoice_for_render(invoice_pk=invoice.pk))


def unchanged(tenant: Tenant) -> dict:
    return Tenant.objects.filter(pk=tenant.pk).values().get()


# --- uploading -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_membership", "admin_membership"])
def test_owners_and_admins_upload_a_logo_that_the_pdf_prints(
    request: pytest.FixtureRequest, who: str, tenant: Tenant, tmp_path: Path, media: Path
) -> None:
    membership = request.getfixturevalue(who)
    client = client_for(membership.user)
    assert pdf_images(invoice_pdf(tenant, membership), tmp_path) == []  # the name, in text

    response = post_branding(client, tenant, picture(size=(240, 80)), brand_color="#0F766E")

    assert response.status_code == 302
    assert response.url == reverse("tenant_settings", args=[tenant.slug]) + "#branding"
    tenant.refresh_from_db()
    assert re.fullmatch(rf"branding/{tenant.public_id}/[0-9a-f]{{20}}\.png", tenant.logo.name)
    assert (media / tenant.logo.name).read_bytes() == picture(size=(240, 80))
    assert tenant.brand_color == "#0f766e"
    assert pdf_images(invoice_pdf(tenant, membership), tmp_path) == [(240, 80)]
    page = client.get(response.url).content.decode()
    assert "Branding saved." in page
    assert 'data-testid="logo-preview"' in page
    assert 'src="data:image/png;base64,' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'type="color" name="brand_color" value="#0f766e"' in page


def test_a_jpeg_is_stored_as_jpg_and_printed(
    owner_membership: Membership, owner_client: Client, tenant: Tenant, tmp_path: Path
) -> None:
    post_branding(owner_client, tenant, logo=upload(picture("JPEG", (300, 120)), "Logo.JPEG", "image/jpeg"))
    tenant.refresh_from_db()
    assert tenant.logo.name.endswith(".jpg")
    assert pdf_images(invoice_pdf(tenant, owner_membership), tmp_path) == [(300, 120)]


# --- what is stored: the picture, re-encoded; nothing else the file carried --------------------

HTML_TAIL = b"<html><body><script>alert(document.cookie)</script></body></html>"


def png_with_extras(image: Image.Image) -> bytes:
    """A PNG with a tEXt chunk, an iTXt XMP packet and an EXIF chunk, then an HTML page after
    its end: every viewer still shows it, and Pillow still decodes it."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "tEXt-secret-note")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>xmp-secret-author</x:xmpmeta>")
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "exif-secret-artist"
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue() + HTML_TAIL


def jpeg_with_gps(size: tuple[int, int] = (300, 120), orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 51.0, 24.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (2.0, 21.0, 7.0),
    }
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    image = Image.new("RGB", size, "#0f766e")
    image.paste((255, 255, 255), (0, 0, size[0] // 2, size[1] // 2))  # a corner shows which way is up
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"jpeg-secret-comment", quality=90)
    return out.getvalue()


def stored_logo(tenant: Tenant, media: Path) -> bytes:
    tenant.refresh_from_db()
    return (media / tenant.logo.name).read_bytes()


def test_a_png_is_stored_without_its_text_chunks_exif_or_appended_html(
    owner_client: Client, tenant: Tenant, media: Path
) -> None:
    original = Image.new("RGBA", (240, 80), (15, 118, 110, 255))
    original.paste((0, 0, 0, 0), (0, 0, 120, 80))  # half transparent: the alpha must survive
    uploaded = png_with_extras(original)
    assert Image.open(io.BytesIO(uploaded)).info["Comment"] == "tEXt-secret-note"  # the test's premise

    assert post_branding(owner_client, tenant, uploaded).status_code == 302

    stored = stored_logo(tenant, media)
    assert tenant.logo.name.endswith(".png")
    for secret in (b"tEXt-secret-note", b"xmp-secret-author", b"exif-secret-artist", b"<html", b"script"):
        assert secret not in stored
    assert stored.endswith(b"IEND\xaeB`\x82")  # nothing after the image's last chunk
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        assert not set(image.info) & {"Comment", "XML:com.adobe.xmp", "exif", "xmp"}
        assert image.getpixel((10, 10)) == (0, 0, 0, 0)
        assert image.getpixel((200, 10)) == (15, 118, 110, 255)


def test_a_palette_png_keeps_its_transparent_colour(
    owner_client: Client, tenant: Tenant, media: Path
) -> None:
    palette = Image.new("P", (60, 30), 1)
    palette.putpalette([255, 255, 255, 15, 118, 110] + [0] * 762)
    palette.paste(0, (0, 0, 30, 30))
    out = io.BytesIO()
    palette.save(out, "PNG", transparency=0)

    post_branding(owner_client, tenant, out.getvalue() + HTML_TAIL)

    with Image.open(io.BytesIO(stored_logo(tenant, media))) as image:
        assert (image.mode, image.info.get("transparency")) == ("P", 0)
        assert image.convert("RGBA").getpixel((5, 5))[3] == 0
        assert image.convert("RGBA").getpixel((50, 5)) == (15, 118, 110, 255)


def test_a_jpeg_is_stored_without_its_exif_gps_or_comment(
    owner_membership: Membership, owner_client: Client, tenant: Tenant, media: Path, tmp_path: Path
) -> None:
    uploaded = jpeg_with_gps()
    assert Image.open(io.BytesIO(uploaded)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the premise

    post_branding(owner_client, tenant, logo=upload(uploaded, "photo.jpg", "image/jpeg"))

    stored = stored_logo(tenant, media)
    assert tenant.logo.name.endswith(".jpg")
    for secret in (b"SecretCam", b"jpeg-secret-comment", b"Exif\x00\x00"):
        assert secret not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (300, 120)
        assert not image.getexif()
        assert "comment" not in image.info
        # Re-encoded with the original's tables: the picture is what was uploaded.
        assert image.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)
        assert image.getpixel((290, 110)) == pytest.approx((15, 118, 110), abs=3)
    assert pdf_images(invoice_pdf(tenant, owner_membership), tmp_path) == [(300, 120)]


def test_a_turned_photo_is_stored_upright_once_its_exif_goes(
    owner_client: Client, tenant: Tenant, media: Path
) -> None:
    # Orientation 6: viewers turn the stored 300x120 pixels a quarter clockwise, to 120x300.
    post_branding(owner_client, tenant, logo=upload(jpeg_with_gps(orientation=6), "turned.jpg", "image/jpeg"))
    with Image.open(io.BytesIO(stored_logo(tenant, media))) as image:
        assert not image.getexif()
        assert image.size == (120, 300)
        # The white corner (top left of the pixels) is now top right, as viewers showed it.
        assert image.getpixel((110, 10)) == pytest.approx((255, 255, 255), abs=3)
        assert image.getpixel((10, 10)) == pytest.approx((15, 118, 110), abs=3)


def test_the_stored_name_follows_the_stored_bytes(owner_client: Client, tenant: Tenant, media: Path) -> None:
    plain = Image.new("RGB", (240, 80), "#0f766e")
    post_branding(owner_client, tenant, png_with_extras(plain))
    tenant.refresh_from_db()
    stored = (media / tenant.logo.name).read_bytes()
    assert tenant.logo.name.endswith(f"/{hashlib.sha256(stored).hexdigest()[:20]}.png")
    # The same picture without the extras is the same stored file, under the same name.
    post_branding(owner_client, tenant, picture(size=(240, 80)))
    assert stored_files(media) == [Tenant.objects.get(pk=tenant.pk).logo.name] == [tenant.logo.name]


def test_the_colour_starts_on_the_default_and_changes_alone(owner_client: Client, tenant: Tenant) -> None:
    page = owner_client.get(reverse("tenant_settings", args=[tenant.slug])).content.decode()
    assert 'type="color" name="brand_color" value="#1f3a8a"' in page  # what PDFs print today
    assert 'data-testid="logo-preview"' not in page
    response = post_branding(owner_client, tenant, brand_color="#b91c1c")
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.brand_color, tenant.logo.name) == ("#b91c1c", "")


# --- bad input -------------------------------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
WRONG_TYPE = "The logo must be a PNG or JPEG image (SVG, GIF, WebP and other files are not accepted)."


def _truncated_png() -> bytes:
    noisy = Image.effect_noise((200, 200), 64).convert("RGB")  # noise: the data does not compress away
    out = io.BytesIO()
    noisy.save(out, "PNG")
    return out.getvalue()[: len(out.getvalue()) // 2]


def _bad_checksum_png() -> bytes:
    content = bytearray(picture())
    content[29] ^= 0xFF  # a byte of the IHDR chunk: its CRC no longer matches
    return bytes(content)


@pytest.mark.parametrize(
    ("content", "name", "content_type", "message"),
    [
        (SVG, "logo.svg", "image/svg+xml", WRONG_TYPE),
        (SVG, "logo.png", "image/png", WRONG_TYPE),  # the name and the declared type are not believed
        (picture("GIF"), "logo.gif", "image/gif", WRONG_TYPE),
        (picture("WEBP"), "logo.webp", "image/webp", WRONG_TYPE),
        (b"%PDF-1.7 not a picture", "logo.png", "image/png", WRONG_TYPE),
        (
            b"\x89PNG\r\n\x1a\n" + b"\0" * (1536 * 1024),
            "big.png",
            "image/png",
            "The logo can be at most 1 MB; this file is 1.5\xa0MB.",
        ),
        (
            _truncated_png(),
            "cut.png",
            "image/png",
            "This file could not be read as a PNG image: it may be damaged or incomplete.",
        ),
        (
            _bad_checksum_png(),
            "crc.png",
            "image/png",
            "This file could not be read as a PNG image: it may be damaged or incomplete.",
        ),
        (
            picture("JPEG")[:300],
            "cut.jpg",
            "image/jpeg",
            "This file could not be read as a JPEG image: it may be damaged or incomplete.",
        ),
        (
            picture(size=(6000, 4)),
            "wide.png",
            "image/png",
            "The logo can be at most 5000 pixels wide and high; this one is 6000 by 4.",
        ),
        (b"", "empty.png", "image/png", "The submitted file is empty."),
    ],
    ids=[
        "svg",
        "svg-named-png",
        "gif",
        "webp",
        "pdf",
        "too-big",
        "truncated",
        "crc",
        "jpeg-cut",
        "wide",
        "empty",
    ],
)
def test_a_bad_logo_gets_a_clear_error_and_changes_nothing(
    owner_client: Client,
    owner_membership: Membership,
    tenant: Tenant,
    media: Path,
    content: bytes,
    name: str,
    content_type: str,
    message: str,
) -> None:
    with tenant_scope(tenant):
        services.tenant_update_branding(actor=owner_membership, logo=upload(picture()), brand_color="#123456")
    tenant.refresh_from_db()
    before, files = unchanged(tenant), stored_files(media)

    response = post_branding(
        owner_client, tenant, logo=upload(content, name, content_type), brand_color="#abcdef"
    )

    assert response.status_code == 200
    assert list(response.context["branding_form"].errors["logo"]) == [message]
    assert message in response.content.decode()
    assert unchanged(tenant) == before  # neither the logo nor the colour
    assert stored_files(media) == files
    # The page still shows the logo in place.
    assert 'data-testid="logo-preview"' in response.content.decode()


@pytest.mark.parametrize("color", ["#12345", "red", "#12345g", ""])
def test_a_bad_colour_is_refused(owner_client: Client, tenant: Tenant, media: Path, color: str) -> None:
    before = unchanged(tenant)
    response = post_branding(owner_client, tenant, picture(), brand_color=color)
    assert response.status_code == 200
    assert response.context["branding_form"].errors["brand_color"]
    assert unchanged(tenant) == before
    assert stored_files(media) == []


# --- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member_membership", "viewer_membership"])
def test_members_and_viewers_cannot_change_the_branding(
    request: pytest.FixtureRequest, who: str, tenant: Tenant, owner_membership: Membership, media: Path
) -> None:
    with tenant_scope(tenant):
        services.tenant_update_branding(actor=owner_membership, logo=upload(picture()), brand_color="#123456")
    tenant.refresh_from_db()
    before, files = unchanged(tenant), stored_files(media)
    membership = request.getfixturevalue(who)
    client = client_for(membership.user)

    assert post_branding(client, tenant, picture(color="red")).status_code == 403
    assert client.post(reverse("tenant_logo_remove", args=[tenant.slug])).status_code == 403
    with pytest.raises(ApplicationError), tenant_scope(tenant):
        services.tenant_update_branding(actor=membership, remove_logo=True)
    assert unchanged(tenant) == before
    assert stored_files(media) == files


def test_it_validates_ownership(
    outsider_client: Client, tenant: Tenant, owner_membership: Membership
) -> None:
    before = unchanged(tenant)
    assert post_branding(outsider_client, tenant, picture()).status_code == 404
    assert outsider_client.post(reverse("tenant_logo_remove", args=[tenant.slug])).status_code == 404
    assert unchanged(tenant) == before


def test_the_branding_routes_take_posts_only(owner_client: Client, tenant: Tenant) -> None:
    assert owner_client.get(reverse("tenant_branding", args=[tenant.slug])).status_code == 405
    assert owner_client.get(reverse("tenant_logo_remove", args=[tenant.slug])).status_code == 405


# --- replacing and removing ------------------------------------------------------------------


def test_a_new_logo_gets_a_new_name_and_the_old_file_goes_after_commit(
    owner_client: Client,
    owner_membership: Membership,
    tenant: Tenant,
    tmp_path: Path,
    media: Path,
    django_capture_on_commit_callbacks: object,
) -> None:
    post_branding(owner_client, tenant, picture(size=(240, 80)))
    tenant.refresh_from_db()
    first = tenant.logo.name
    assert pdf_images(invoice_pdf(tenant, owner_membership), tmp_path) == [(240, 80)]

    with django_capture_on_commit_callbacks(execute=True):
        post_branding(owner_client, tenant, picture(size=(180, 90), color="#7c3aed"))
    tenant.refresh_from_db()
    second = tenant.logo.name
    # The renderer caches logos by file name: the new one must not be served from that cache.
    assert second != first
    assert stored_files(media) == [second]
    assert pdf_images(invoice_pdf(tenant, owner_membership), tmp_path) == [(180, 90)]

    # The same picture again keeps its name and its file.
    with django_capture_on_commit_callbacks(execute=True):
        post_branding(owner_client, tenant, picture(size=(180, 90), color="#7c3aed"))
    tenant.refresh_from_db()
    assert tenant.logo.name == second
    assert stored_files(media) == [second]


def test_remove_logo(
    owner_client: Client,
    owner_membership: Membership,
    tenant: Tenant,
    tmp_path: Path,
    media: Path,
    django_capture_on_commit_callbacks: object,
) -> None:
    post_branding(owner_client, tenant, picture(), brand_color="#7c3aed")
    page = owner_client.get(reverse("tenant_settings", args=[tenant.slug])).content.decode()
    assert reverse("tenant_logo_remove", args=[tenant.slug]) in page

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("tenant_logo_remove", args=[tenant.slug]))

    assert response.url == reverse("tenant_settings", args=[tenant.slug]) + "#branding"
    tenant.refresh_from_db()
    assert (tenant.logo.name, tenant.brand_color) == ("", "#7c3aed")  # the colour stays
    assert stored_files(media) == []
    page = owner_client.get(response.url).content.decode()
    assert "Logo removed." in page
    assert 'data-testid="logo-preview"' not in page
    assert pdf_images(invoice_pdf(tenant, owner_membership), tmp_path) == []


def test_a_rolled_back_change_keeps_the_old_file(
    owner_membership: Membership, tenant: Tenant, media: Path, django_capture_on_commit_callbacks: object
) -> None:
    """The replaced file is deleted only once the change commits."""
    with tenant_scope(tenant):
        services.tenant_update_branding(actor=owner_membership, logo=upload(picture()))
    tenant.refresh_from_db()
    first = tenant.logo.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks, tenant_scope(tenant):
        services.tenant_update_branding(actor=owner_membership, remove_logo=True)
    assert callbacks  # the deletion waits for the commit...
    assert (media / first).exists()  # ...so a rollback would leave the logo in place


def test_uploading_and_removing_at_once_is_refused(owner_membership: Membership, tenant: Tenant) -> None:
    with pytest.raises(ApplicationError, match="not both"), tenant_scope(tenant):
        services.tenant_update_branding(actor=owner_membership, logo=upload(picture()), remove_logo=True)
