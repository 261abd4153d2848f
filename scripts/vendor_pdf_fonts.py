"""Re-create static/fonts/*.ttf (the fonts of invoice PDFs) from Fontsource's npm packages.

    .venv/bin/python scripts/vendor_pdf_fonts.py

Needs `npm` (to download the packages) and fontTools with brotli (WeasyPrint's dependencies).
See static/fonts/README.md for what is kept and why.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path

from fontTools.merge import Merger, Options
from fontTools.ttLib import TTFont

VERSION = "5.3.0"
OUT = Path(__file__).resolve().parent.parent / "static" / "fonts"
WEIGHTS = ("400", "700")
PLAIN = {
    "noto-sans": ["latin", "latin-ext", "greek", "cyrillic", "vietnamese"],
    "noto-sans-arabic": ["arabic"],
    "noto-sans-hebrew": ["hebrew"],
}


EMOJI_VERSION = "5.3.2"  # Noto Emoji came to Fontsource's 5.3 line after 5.3.0


def unpack(package: str, workdir: Path, version: str = VERSION) -> Path:
    subprocess.run(["npm", "pack", f"@fontsource/{package}@{version}", "--silent"], cwd=workdir, check=True)
    target = workdir / package
    with tarfile.open(workdir / f"fontsource-{package}-{version}.tgz") as archive:
        archive.extractall(target, filter="data")
    return target / "package" / "files"


def to_ttf(source: Path, target: Path) -> None:
    font = TTFont(source)
    font.flavor = None
    font.save(target)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for package, subsets in PLAIN.items():
            files = unpack(package, workdir)
            for subset in subsets:
                for weight in WEIGHTS:
                    name = f"{package}-{subset}-{weight}-normal"
                    to_ttf(files / f"{name}.woff2", OUT / f"{name}.ttf")
        files = unpack("noto-sans-sc", workdir)
        for weight in WEIGHTS:
            slices = []
            for index, woff2 in enumerate(sorted(files.glob(f"noto-sans-sc-*-{weight}-normal.woff2"))):
                if not woff2.name.split("-")[3].isdigit():
                    continue
                ttf = workdir / f"sc-{weight}-{index}.ttf"
                to_ttf(woff2, ttf)
                slices.append(str(ttf))
            merger = Merger(
                options=Options(drop_tables=["vhea", "vmtx", "GSUB", "GPOS", "GDEF", "BASE", "VORG"])
            )
            merger.merge(slices).save(OUT / f"noto-sans-sc-cjk-{weight}-normal.ttf")
        (OUT / "OFL.txt").write_text((files.parent / "LICENSE").read_text())
        # The `emoji` slice is the whole font, its GSUB (ZWJ sequences) included.
        emoji = unpack("noto-emoji", workdir, EMOJI_VERSION)
        to_ttf(emoji / "noto-emoji-emoji-400-normal.woff2", OUT / "noto-emoji-400-normal.ttf")
        (OUT / "OFL-noto-emoji.txt").write_text((emoji.parent / "LICENSE").read_text())


if __name__ == "__main__":
    main()
