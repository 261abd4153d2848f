"""A clone of the repository runs and tests with nothing beside it.

CI's machine happens to keep other folders next to its checkout; a user's clone has none. So no
tracked file may point outside the repository, and under CI the suite runs in a fresh clone that
sits alone in a temporary folder (`.ci/run`), where any such reference fails for real.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from billing.tests.stripe_standin.objects import FIXTURES_PATH

REPO = Path(settings.BASE_DIR)

# "../x" (not preceded by a word, a dot or a slash: "$(dirname "$0")/.." stays inside).
_RELATIVE = re.compile(r"(?<![\w.$/])((?:\.\./)+)([\w.-]*)")
_PARENTS_INDEX = re.compile(r"parents\[(\d+)\]")
# The names a root-relative path object goes by here, climbing above the root.
_ABOVE_ROOT = re.compile(r"\b(?:REPO|REPO_ROOT|BASE_DIR|ROOT)\.parent\b")
_ABSOLUTE_WORKPLACE = re.compile(r"(?<![\w.])/work/")


_XPATH_SUFFIXES = {".xslt", ".xsl", ".sch"}
_CWD_RELATIVE_SUFFIXES = {".sh", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".example"}
# Kustomize resolves the paths in a kustomization from the file's own folder.
_FOLDER_RELATIVE_NAMES = {"kustomization.yaml", "kustomization.yml"}


def _bases(repo: Path, relative_name: str, text: str) -> list[Path]:
    """Where a relative path in this file starts from: its folder (Python, CSS, Markdown links),
    and for scripts and configuration also the working directory, the repository's root."""
    path = repo / relative_name
    if path.name in _FOLDER_RELATIVE_NAMES:
        return [path.parent]
    cwd_relative = path.suffix in _CWD_RELATIVE_SUFFIXES or path.name == "Dockerfile" or text.startswith("#!")
    return [path.parent, repo] if cwd_relative else [path.parent]


def references_outside(repo: Path, relative_name: str, text: str) -> list[str]:
    """Each place in one file's text that names a path outside `repo`."""
    root = repo.resolve()
    bases = _bases(repo, relative_name, text)
    found = []
    # In XSLT and Schematron "../" is XPath's parent axis (`../../ram:Name`), not a file path.
    relative = [] if Path(relative_name).suffix in _XPATH_SUFFIXES else _RELATIVE.finditer(text)
    for match in relative:
        targets = [(base / match.group(1) / match.group(2)).resolve() for base in bases]
        if not all(target.is_relative_to(root) for target in targets):
            found.append(match.group(0))
    depth = len(Path(relative_name).parts) - 1
    found += [m.group(0) for m in _PARENTS_INDEX.finditer(text) if int(m.group(1)) > depth]
    found += [m.group(0) for m in _ABOVE_ROOT.finditer(text)]
    found += [m.group(0) for m in _ABSOLUTE_WORKPLACE.finditer(text)]
    return found


def tracked_text_files(repo: Path) -> dict[str, str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    texts = {}
    for name in filter(None, listed.split("\0")):
        try:
            texts[name] = (repo / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary files (fonts, images) name no paths
    return texts


def test_no_tracked_file_refers_to_a_path_outside_the_repository() -> None:
    this_file = str(Path(__file__).relative_to(REPO))
    texts = tracked_text_files(REPO)
    assert len(texts) > 100, "git ls-files listed too few files to be this repository"
    offenders = {
        name: refs
        for name, text in texts.items()
        if name != this_file and (refs := references_outside(REPO, name, text))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("name", "line"),
    [
        # What the Stripe stand-in read before its samples were vendored.
        (
            "billing/tests/stripe_standin/objects.py",
            'FIXTURES = REPO_ROOT.parent / "neighbour/stripe/openapi-fixtures3.json"',
        ),
        ("billing/tests/stripe_standin/objects.py", "ROOT = Path(__file__).resolve().parents[4]"),
        ("docs/einvoicing.md", "The rules come from [here](../../neighbour/einvoicing/cen/)."),
        ("scripts/fetch.sh", "cp ../neighbour/stripe/openapi-fixtures3.json fixtures/"),
        ("README.md", "see /work/neighbour/README.md"),
    ],
)
def test_the_check_catches_each_kind_of_reference(name: str, line: str) -> None:
    assert references_outside(REPO, name, f"first line\n{line}\n") != []


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (".ci/run", 'cd "$(dirname "$0")/.."'),
        ("billing/tests/stripe_standin/objects.py", "REPO_ROOT = Path(__file__).resolve().parents[3]"),
        ("docs/operations.md", "See [the architecture](../README.md)."),
        ("einvoicing/rules/cii.xslt", '<xsl:value-of select="../../../../ram:TypeCode"/>'),
        ("invoices/tests/test_x.py", 'FIXTURES = Path(__file__).parent / "../fixtures/a.xml"'),
    ],
)
def test_the_check_lets_paths_inside_the_repository_pass(name: str, line: str) -> None:
    assert references_outside(REPO, name, line) == []


def test_the_stripe_samples_are_vendored_with_their_origin_and_licence() -> None:
    assert FIXTURES_PATH.is_relative_to(REPO)
    folder = FIXTURES_PATH.parent
    readme = (folder / "README.md").read_text()
    digest = hashlib.sha256(FIXTURES_PATH.read_bytes()).hexdigest()
    assert digest in readme, "the README's hash must name the vendored file"
    assert "github.com/stripe/openapi" in readme
    assert "MIT License" in (folder / "LICENSE").read_text()
    resources = json.loads(FIXTURES_PATH.read_text())["resources"]
    for kind in ("event", "checkout.session", "payment_intent", "charge", "dispute", "subscription"):
        assert resources[kind]["object"] == kind


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="checks how .ci/run runs the suite")
def test_ci_runs_the_suite_in_a_clone_with_nothing_beside_it() -> None:
    assert os.environ.get("INVOICEFLOW_CI_CLEAN_CLONE") == "true", ".ci/run must test a fresh clone"
    neighbours = sorted(p.name for p in REPO.resolve().parent.iterdir() if p.name != REPO.resolve().name)
    assert neighbours == []
    head = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True)
    # Only what the test run itself makes (media files, caches) may differ from the commit.
    assert not [line for line in head.stdout.splitlines() if not line.startswith("??")]
