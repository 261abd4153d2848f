"""The image collects its static files with docker/static_settings.py, in a build stage that
does not see the app's code (docker/Dockerfile). These tests keep that collection the same as
the app's own settings would make it, minus source maps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

BASE_DIR = Path(settings.BASE_DIR)
DOCKER = BASE_DIR / "docker"
IGNORED = ["CVS", ".*", "*~"]


def app_static_files() -> set[str]:
    return {path for finder in finders.get_finders() for path, _storage in finder.list(IGNORED)}


def run_with_build_settings(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "static_settings", "PYTHONPATH": str(DOCKER)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


def test_the_build_collects_what_the_app_serves_minus_source_maps() -> None:
    result = run_with_build_settings(
        "import json, django; django.setup(); from django.contrib.staticfiles import finders; "
        f"ignored = {[*IGNORED, '*.map']!r}; "
        "print(json.dumps(sorted({p for f in finders.get_finders() for p, _ in f.list(ignored)})))"
    )
    assert result.returncode == 0, result.stderr
    app = app_static_files()
    assert "css/invoice-pdf.css" in app
    assert any(path.startswith("admin/") for path in app)
    assert set(json.loads(result.stdout)) == {path for path in app if not path.endswith(".map")}


def test_the_build_collects_a_manifest_without_source_maps_or_compressed_fonts(tmp_path: Path) -> None:
    root = tmp_path / "staticfiles"
    result = run_with_build_settings(
        "import django; from django.conf import settings; "
        f"settings.STATIC_ROOT = {str(root)!r}; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0, ignore_patterns=['*.map'])"
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    assert "css/invoice-pdf.css" in manifest
    assert not [path for path in manifest if path.endswith(".map")]
    assert not list(root.rglob("*.map*"))
    # Compressed copies of text files, none of fonts (compact already, and the slow part).
    assert (root / f"{manifest['css/invoice-pdf.css']}.gz").exists()
    assert list((root / "fonts").glob("*.ttf"))
    assert not list((root / "fonts").glob("*.ttf.gz"))
