"""requirements.lock (what the image installs, with --require-hashes) agrees with
requirements.txt: every pin at the same version, every package with its hashes."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)", re.MULTILINE)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name)).lower()


def pins(text: str) -> dict[str, str]:
    return {canonical(name): version for name, version in PIN.findall(text)}


def test_every_pin_of_requirements_txt_is_locked_at_the_same_version() -> None:
    wanted = pins((BASE_DIR / "requirements.txt").read_text())
    locked = pins((BASE_DIR / "requirements.lock").read_text())
    assert wanted
    different = {
        name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version
    }
    assert different == {}, "requirements.lock is stale: regenerate it (see its header)"


def test_every_locked_package_has_hashes_and_the_image_requires_them() -> None:
    text = (BASE_DIR / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 5)[-1])
    packages = [entry for entry in entries if PIN.match(entry)]
    assert len(packages) == len(pins(text)) > 30
    assert all("--hash=sha256:" in entry for entry in packages)
    dockerfile = (BASE_DIR / "docker" / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile
    assert "-r /tmp/requirements.lock" in dockerfile
