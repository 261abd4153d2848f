"""Settings for `collectstatic` at image build time only (docker/Dockerfile, "static" stage).

The image's static files depend on the static folders and the installed packages, not on the
app's code: collecting them with these settings, in a stage that copies only those folders,
keeps a code change from re-running collectstatic (and recompressing every file). The same
files as the app's settings would collect (invoiceflow/tests/test_static_build.py compares
them), minus source maps, which only browser developer tools read.

    DJANGO_SETTINGS_MODULE=static_settings PYTHONPATH=docker \\
        django-admin collectstatic --no-input --ignore '*.map'
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from whitenoise.storage import CompressedManifestStaticFilesStorage

BASE_DIR = Path(__file__).resolve().parent.parent

# The apps of invoiceflow.settings.INSTALLED_APPS that ship a static/ folder. Their folders
# are listed directly, so none of them (nor any of their models) is imported here.
PACKAGES_WITH_STATIC = (
    "django.contrib.admin",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "rest_framework",
    "drf_spectacular_sidecar",
)


def _package_static(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


SECRET_KEY = "collectstatic-at-build-time-only-never-used-to-sign-anything"  # noqa: S105
DEBUG = False
INSTALLED_APPS = ["django.contrib.staticfiles"]
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    BASE_DIR / "api" / "static",
    *(_package_static(name) for name in PACKAGES_WITH_STATIC),
]


class StaticFilesWithoutSourceMaps(CompressedManifestStaticFilesStorage):
    """The app's storage (invoiceflow.settings), minus the rewriting of sourceMappingURL
    comments: the maps are not collected (`--ignore '*.map'`), and a comment left pointing at a
    missing map costs nothing but a 404 when developer tools are open."""

    patterns = tuple(
        (extension, tuple(pattern for pattern in rules if "sourceMappingURL" not in str(pattern)))
        for extension, rules in CompressedManifestStaticFilesStorage.patterns
    )


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "static_settings.StaticFilesWithoutSourceMaps"},
}
# Fonts are compressed already (and only the PDF renderer and the PDF preview load them, the
# latter only the ranges it needs); compressing 14 MB of CJK fonts twice was most of the build.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf", "flv",
    "woff", "woff2", "ttf", "otf", "map",
)  # fmt: skip
