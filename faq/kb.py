"""Knowledge-base files: loading and structural validation.

A knowledge base is one or more YAML files; a folder stands for every ``*.yaml``/``*.yml``
file in it, recursively, in sorted order. Each file is a list of entries::

    - id: heating-season            # required, kebab-case, unique across all files
      category: ЖКХ                 # optional
      questions:                    # required, at least one
        - Когда начнётся отопительный сезон?
      answer: |                     # required, plain text
        ...
      keywords: [отопление]         # optional
      synonyms: [батареи, тепло]    # optional

Unknown keys are errors, so a typo such as ``qustions`` never passes silently.

``keywords`` are the words that name the entry's topic. They are matched like the words of
the entry's questions and, in addition, a message that contains a keyword of exactly this
entry gets a bonus, so keywords pull messages towards the entry.

``synonyms`` are the other words residents use for the same thing (slang, abbreviations,
colloquial names: «батареи» for heating, «садик» for kindergarten). A synonym found in a
message counts as if the entry's own words had been written: it is matched like a question
word of this entry, and the spelling corrector learns it, but it gives no bonus of its own.

Both lists hold single words or short phrases; they are normalised like messages (case,
ё, morphology), so any grammatical form of a word matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED_KEYS = ("id", "questions", "answer")
ALLOWED_KEYS = frozenset({"id", "category", "questions", "answer", "keywords", "synonyms"})
YAML_SUFFIXES = (".yaml", ".yml")


class KnowledgeBaseError(Exception):
    """The knowledge base cannot be used; each line names file, entry and reason."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str
    category: str | None
    questions: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    entries: tuple[FaqEntry, ...]
    files: tuple[Path, ...]

    def by_id(self) -> dict[str, FaqEntry]:
        return {entry.id: entry for entry in self.entries}


def expand_paths(paths: Iterable[Path], optional: Iterable[Path] = ()) -> list[Path]:
    """Files behind the given paths; missing paths are errors unless listed as optional."""
    optional_set = {Path(p) for p in optional}
    files: list[Path] = []
    missing: list[str] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
            )
        elif path.is_file():
            files.append(path)
        elif path not in optional_set:
            missing.append(f"{path}: no such file or folder")
    if missing:
        raise KnowledgeBaseError(missing)
    return files


def _string_list(value: Any, key: str, *, required: bool) -> tuple[tuple[str, ...], str | None]:
    if value is None and not required:
        return (), None
    if not isinstance(value, list) or (required and not value):
        kind = "a non-empty list" if required else "a list"
        return (), f"'{key}' must be {kind} of strings"
    items: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            return (), f"'{key}' must contain only non-empty strings"
        items.append(item.strip())
    return tuple(items), None


def _parse_entry(raw: Any, label: str, source: str) -> tuple[FaqEntry | None, list[str]]:
    if not isinstance(raw, dict):
        return None, [f"{label}: must be a mapping with keys {', '.join(REQUIRED_KEYS)}"]
    errors: list[str] = []
    unknown = sorted(str(key) for key in raw if key not in ALLOWED_KEYS)
    if unknown:
        errors.append(f"{label}: unknown key(s) {', '.join(repr(k) for k in unknown)}")
    for key in REQUIRED_KEYS:
        if key not in raw:
            errors.append(f"{label}: missing '{key}'")
    entry_id = raw.get("id")
    if "id" in raw and (not isinstance(entry_id, str) or not ID_PATTERN.match(entry_id)):
        errors.append(f"{label}: 'id' must be kebab-case (a-z, 0-9 and single hyphens)")
    category = raw.get("category")
    if category is not None and (not isinstance(category, str) or not category.strip()):
        errors.append(f"{label}: 'category' must be a non-empty string")
    answer = raw.get("answer")
    if "answer" in raw and (not isinstance(answer, str) or not answer.strip()):
        errors.append(f"{label}: 'answer' must be non-empty text")
    questions, problem = _string_list(raw.get("questions"), "questions", required=True)
    if "questions" in raw and problem:
        errors.append(f"{label}: {problem}")
    keywords, problem = _string_list(raw.get("keywords"), "keywords", required=False)
    if problem:
        errors.append(f"{label}: {problem}")
    synonyms, problem = _string_list(raw.get("synonyms"), "synonyms", required=False)
    if problem:
        errors.append(f"{label}: {problem}")
    if errors:
        return None, errors
    assert isinstance(entry_id, str) and isinstance(answer, str)
    entry = FaqEntry(
        id=entry_id,
        category=category.strip() if isinstance(category, str) else None,
        questions=questions,
        answer=answer.strip(),
        keywords=keywords,
        synonyms=synonyms,
        source=source,
    )
    return entry, []


def _load_file(path: Path) -> tuple[list[FaqEntry], list[str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        return [], [f"{path}: cannot read: {error.strerror or error}"]
    except UnicodeDecodeError:
        return [], [f"{path}: not UTF-8 text"]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error).splitlines()[0]
        return [], [f"{path}: invalid YAML{where}: {reason}"]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [f"{path}: must be a list of entries"]
    entries: list[FaqEntry] = []
    errors: list[str] = []
    for number, raw in enumerate(data, start=1):
        entry_id = raw.get("id") if isinstance(raw, dict) else None
        label = f"{path}: entry {number}" + (f" ({entry_id})" if isinstance(entry_id, str) else "")
        entry, problems = _parse_entry(raw, label, f"{path}: entry {number}")
        errors.extend(problems)
        if entry is not None:
            entries.append(entry)
    return entries, errors


def load_knowledge_base(
    paths: Iterable[Path | str], optional: Iterable[Path | str] = ()
) -> KnowledgeBase:
    """Load and validate; raises KnowledgeBaseError listing every problem found."""
    files = expand_paths([Path(p) for p in paths], [Path(p) for p in optional])
    entries: list[FaqEntry] = []
    errors: list[str] = []
    seen: dict[str, str] = {}
    for path in files:
        loaded, problems = _load_file(path)
        errors.extend(problems)
        for entry in loaded:
            if entry.id in seen:
                errors.append(
                    f"{entry.source} ({entry.id}): duplicate id, first defined in {seen[entry.id]}"
                )
                continue
            seen[entry.id] = entry.source
            entries.append(entry)
    if errors:
        raise KnowledgeBaseError(errors)
    if not entries and not files:
        raise KnowledgeBaseError([f"{', '.join(str(p) for p in paths)}: no knowledge-base files"])
    return KnowledgeBase(entries=tuple(entries), files=tuple(files))
