"""The README's Python snippet runs as written (the issue's acceptance test)."""

import re

from conftest import REPO


def readme_snippet() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("## From Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no ```python block in the README's 'From Python' section"
    return match.group(1)


def test_readme_snippet_runs():
    code = readme_snippet()
    assert "payseal.Opener" in code and "Rejected" in code
    exec(compile(code, "README.md", "exec"), {})
