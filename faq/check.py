"""`python -m faq check`: structural errors and quality warnings for a knowledge base."""

from __future__ import annotations

from pathlib import Path

from rapidfuzz import fuzz, process

from faq.decision import Thresholds
from faq.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from faq.matcher import Matcher

NEAR_DUPLICATE = 90.0


def warnings_for(kb: KnowledgeBase, thresholds: Thresholds | None = None) -> list[str]:
    """Near-duplicate questions across entries, and questions that another entry shadows."""
    matcher = Matcher(kb.entries, thresholds or Thresholds())
    owners: list[str] = []
    texts: list[str] = []
    originals: list[str] = []
    for entry in kb.entries:
        for question in entry.questions:
            owners.append(entry.id)
            texts.append(" ".join(sorted(matcher.normalizer.lemmas(question))))
            originals.append(question)
    found: list[str] = []
    if texts:
        matrix = process.cdist(
            texts, texts, scorer=fuzz.token_sort_ratio, processor=None, score_cutoff=NEAR_DUPLICATE
        )
        for i in range(len(texts)):
            for j in range(i + 1, len(texts)):
                if owners[i] != owners[j] and texts[i] and matrix[i][j] >= NEAR_DUPLICATE:
                    found.append(
                        f"near-duplicate questions: {owners[i]} «{originals[i]}» and "
                        f"{owners[j]} «{originals[j]}» ({matrix[i][j]:.0f})"
                    )
    for entry_id, question in zip(owners, originals, strict=True):
        ranked = matcher.rank(matcher.normalizer.lemmas(question))
        if ranked and ranked[0].entry_id != entry_id:
            found.append(
                f"shadowed: {entry_id} «{question}» ranks {ranked[0].entry_id} first "
                f"({ranked[0].score:.0f})"
            )
    return found


def run_check(paths: list[Path], thresholds: Thresholds | None = None) -> int:
    try:
        kb = load_knowledge_base(paths)
    except KnowledgeBaseError as error:
        for line in error.errors:
            print(f"error: {line}")
        print(f"{len(error.errors)} error(s)")
        return 1
    problems = warnings_for(kb, thresholds)
    for line in problems:
        print(f"warning: {line}")
    print(f"{len(kb.entries)} entries in {len(kb.files)} file(s), {len(problems)} warning(s)")
    return 0
