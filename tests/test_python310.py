"""`pip install kerasmigrate` works on the oldest Python it claims (3.10), and converts there.

A venv of Python 3.10 (pyenv's, which the oracle stacks use too, or python3.10 on PATH) gets the
package with its runtime dependencies only (numpy 2.2 and tomli there, by the markers of
pyproject.toml); every committed sample of one writer is converted by it and must come out byte
for byte as this environment's conversion (the writer is deterministic).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kerasmigrate import api

from .conftest import ROOT, SAMPLES, sample_entries

pytestmark = pytest.mark.full

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kerasmigrate-tests" / "py310"


def _python310() -> str | None:
    for candidate in (Path.home() / ".pyenv" / "versions" / "3.10.13" / "bin" / "python", shutil.which("python3.10")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def test_converts_on_python_310_byte_for_byte(tmp_path):
    python = _python310()
    if python is None:
        pytest.skip("no Python 3.10 on this machine")
    venv = CACHE / "venv"
    if not (venv / "bin" / "kerasmigrate").exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
    # Reinstalled each run: the package under test is this checkout.
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(ROOT)], check=True)
    entries = [(d, e) for d, e in sample_entries() if d == SAMPLES / "tf2.15"]
    assert len(entries) > 10
    script = "\n".join(
        [
            "import sys",
            "assert sys.version_info[:2] == (3, 10), sys.version",
            "from kerasmigrate.api import convert",
            *(
                f"convert({str(d / e['file'])!r}, {str(tmp_path / 'py310' / (e['name'] + '.keras'))!r})"
                for d, e in entries
            ),
        ]
    )
    subprocess.run([str(venv / "bin" / "python"), "-c", script], check=True, cwd=tmp_path)
    for stack_dir, entry in entries:
        ours = tmp_path / "here" / f"{entry['name']}.keras"
        api.convert(stack_dir / entry["file"], ours)
        theirs = tmp_path / "py310" / f"{entry['name']}.keras"
        assert theirs.read_bytes() == ours.read_bytes(), entry["name"]
    assert sys.version_info[:2] >= (3, 11)
