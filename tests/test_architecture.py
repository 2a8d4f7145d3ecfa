"""The core stays platform-neutral: only the adapters and the composition root know aiogram
or vkbottle, and nothing in the core reaches into the adapters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PLATFORM_LIBRARIES = {"aiogram", "vkbottle", "vkbottle_types"}
COMPOSITION = {PROJECT / "bot" / "__main__.py", PROJECT / "bot" / "app.py"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def core_modules() -> list[Path]:
    files = []
    for package in ("bot", "faq", "polls"):
        files += sorted((PROJECT / package).rglob("*.py"))
    return [path for path in files if path not in COMPOSITION]


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(PROJECT)))
def test_core_is_platform_neutral(path: Path) -> None:
    roots = imported_roots(path)
    assert not roots & PLATFORM_LIBRARIES, f"{path} imports {roots & PLATFORM_LIBRARIES}"
    assert "handlers" not in roots, f"{path} imports the adapters"


def test_the_check_sees_platform_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import aiogram.types\nfrom vkbottle import Bot\n", encoding="utf-8")
    assert imported_roots(sample) >= {"aiogram", "vkbottle"}


def test_core_modules_are_found() -> None:
    names = {path.relative_to(PROJECT).as_posix() for path in core_modules()}
    assert "bot/core/dialog.py" in names
    assert "bot/app.py" not in names
