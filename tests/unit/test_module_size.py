"""The house rules that keep modules small enough to read in one sitting."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for folder in ("authsvc", "admin") for p in (ROOT / folder).rglob("*.py"))


def test_is_every_module_of_authsvc_and_admin_at_most_400_lines():
    too_long = {
        str(path.relative_to(ROOT)): count
        for path in _modules()
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these modules (more than {MAX_LINES} lines): {too_long}"


def test_does_every_module_open_with_a_docstring():
    missing = [
        str(path.relative_to(ROOT))
        for path in _modules()
        if path.stat().st_size and not path.read_text().lstrip().startswith(('"""', "'''"))
    ]
    assert not missing, f"modules without an opening docstring: {missing}"
