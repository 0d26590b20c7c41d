"""The README's Python snippet runs as written (the issue's acceptance test). The block is
extracted by scripts/readme-python-snippet, the same extraction .ci/run uses."""

import subprocess
import sys

from conftest import REPO


def test_readme_snippet_runs(tmp_path):
    code = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "readme-python-snippet")],
        check=True, capture_output=True, text=True,
    ).stdout
    assert "payseal.Opener" in code and "Rejected" in code
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)
