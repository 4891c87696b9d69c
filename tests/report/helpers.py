"""Shared helpers of the report tests: PDF to text and images with poppler, JSON path lookup."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NUM_SPAN = re.compile(
    r'<span class="num( na)?" data-src="([^"]+)"(?: data-digits="(\d+)")?[^>]*>([^<]*)</span>'
)


def need_poppler() -> None:
    """PDF page checks need poppler-utils: CI installs them (and must fail without them); on a
    machine without them the page checks are skipped with the reason."""
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        message = "poppler-utils (pdftoppm, pdftotext) are needed: apt-get install poppler-utils"
        if os.environ.get("GROUNDUP_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)


def pdf_text(pdf: Path) -> str:
    need_poppler()
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def pdf_pages_to_png(pdf: Path, out_dir: Path, dpi: int = 50) -> list[Path]:
    need_poppler()
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out_dir / "page")], check=True
    )
    return sorted(out_dir.glob("page-*.png"))


def pdf_image_count(pdf: Path) -> int:
    """Raster images placed in the PDF (plots, key frames, exercise drawings)."""
    need_poppler()
    out = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, check=True)
    lines = out.stdout.decode().splitlines()[2:]
    return sum(1 for line in lines if line.split() and line.split()[2] == "image")


def pdf_image_encodings(pdf: Path) -> list[str]:
    """The encoding of each raster image placed in the PDF (``jpeg``, ``image`` for Flate...)."""
    need_poppler()
    out = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, check=True)
    rows = [line.split() for line in out.stdout.decode().splitlines()[2:]]
    return [row[8] for row in rows if len(row) > 8 and row[2] == "image"]


def word_heights_pt(pdf: Path) -> list[float]:
    """Height of every word's box in points (pdftotext -bbox)."""
    need_poppler()
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True)
    heights = []
    for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"',
        out.stdout.decode(),
    ):
        heights.append(float(m.group(4)) - float(m.group(2)))
    return heights


def resolve(docs: dict[str, Any], path: str) -> Any:
    """The value at a data-src path, e.g. ``analysis/0/spatiotemporal/left/stride_time_s``."""
    parts = path.split("/")
    node: Any = docs[parts[0]]
    for part in parts[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def rendered_numbers(html: str) -> list[tuple[str, int | None, str, bool]]:
    """(path, digits, shown text, is_missing) of every number the report shows."""
    return [
        (m.group(2), int(m.group(3)) if m.group(3) else None, m.group(4), bool(m.group(1)))
        for m in NUM_SPAN.finditer(html)
    ]
