"""The FAQ as the bot uses it: a knowledge base on disk, its index and hot reload."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from faq.decision import Decision, Thresholds
from faq.kb import (
    YAML_SUFFIXES,
    FaqEntry,
    KnowledgeBase,
    KnowledgeBaseError,
    load_knowledge_base,
)
from faq.matcher import Matcher
from faq.semantic import Encoder, SemanticIndex

log = logging.getLogger(__name__)

_Stamp = tuple[tuple[str, int, int], ...]


class FaqLibrary:
    """Loads at construction (raises KnowledgeBaseError); `decide` is pure and fast.

    Paths listed in `optional_paths` may be missing (a local file staff create later);
    they are watched like the others and picked up by `reload_if_changed` once they exist.
    """

    def __init__(
        self,
        paths: Sequence[Path | str],
        thresholds: Thresholds | None = None,
        optional_paths: Iterable[Path | str] = (),
        encoder: Encoder | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        optional = [Path(p) for p in optional_paths]
        self.paths: tuple[Path, ...] = tuple(Path(p) for p in paths) + tuple(
            p for p in optional if p not in {Path(q) for q in paths}
        )
        self._optional = tuple(optional)
        self.thresholds = thresholds or Thresholds()
        self._encoder = encoder
        self._cache_dir = cache_dir
        self._stamp = self._current_stamp()
        self._kb, self._matcher = self._build()
        self._by_id = self._kb.by_id()

    def _build(self) -> tuple[KnowledgeBase, Matcher]:
        kb = load_knowledge_base(self.paths, optional=self._optional)
        semantic = (
            SemanticIndex(kb.entries, self._encoder, self._cache_dir)
            if self._encoder is not None
            else None
        )
        return kb, Matcher(kb.entries, self.thresholds, semantic=semantic)

    def _current_stamp(self) -> _Stamp:
        stamps: list[tuple[str, int, int]] = []
        for path in self.paths:
            candidates = (
                sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES)
                if path.is_dir()
                else [path]
            )
            for file in candidates:
                try:
                    info = file.stat()
                except OSError:
                    stamps.append((str(file), -1, -1))
                    continue
                stamps.append((str(file), info.st_mtime_ns, info.st_size))
        return tuple(stamps)

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        return self._kb.entries

    @property
    def files(self) -> tuple[Path, ...]:
        return self._kb.files

    @property
    def semantic(self) -> SemanticIndex | None:
        return self._matcher.semantic

    def entry(self, entry_id: str) -> FaqEntry | None:
        return self._by_id.get(entry_id)

    def decide(self, text: str) -> Decision:
        return self._matcher.decide(text)

    async def decide_async(self, text: str) -> Decision:
        """`decide` for the bot: the encoder, when the cascade needs it, runs on a worker
        thread so that other residents are not kept waiting on the event loop."""
        matcher = self._matcher
        analysis = matcher.analyse(text)
        if matcher.semantic is not None and matcher.needs_semantic(analysis):
            similarity = await asyncio.to_thread(matcher.semantic.similarity, text)
            analysis = matcher.refine(analysis, similarity)
        return matcher.judge(analysis)

    def reload(self) -> list[str]:
        """Re-read all paths; on error keep the current knowledge base and return the errors."""
        stamp = self._current_stamp()
        try:
            kb, matcher = self._build()
        except KnowledgeBaseError as error:
            self._stamp = stamp
            log.warning("FAQ reload failed, keeping %d entries", len(self._kb.entries))
            return error.errors
        self._kb, self._matcher, self._by_id = kb, matcher, kb.by_id()
        self._stamp = stamp
        log.info("FAQ reloaded: %d entries from %d files", len(kb.entries), len(kb.files))
        return []

    def reload_if_changed(self) -> bool:
        """Reload when a file changed, appeared or disappeared; True if a reload was tried."""
        if self._current_stamp() == self._stamp:
            return False
        errors = self.reload()
        for line in errors:
            log.warning("FAQ: %s", line)
        return True
