from __future__ import annotations

from pathlib import Path

import pytest

from faq import FaqLibrary, Thresholds

SAMPLE = Path(__file__).resolve().parents[2] / "faq" / "sample"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def sample_library() -> FaqLibrary:
    return FaqLibrary([SAMPLE], Thresholds())
