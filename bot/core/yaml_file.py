"""Reading the YAML files staff prepare (polls, announcements) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """The file's data; `error` with the file and what is wrong, in one line, otherwise."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as failure:
        raise error(f"{path}: cannot read ({failure.strerror or failure})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as failure:
        mark = getattr(failure, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(failure, "problem", None) or "malformed"
        raise error(f"{path}: invalid YAML{line}: {problem}") from None
