"""Command line: `python -m faq check|ask|eval|fit` for staff who write the knowledge base."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bot.core.dates import date_argument
from faq.check import run_check
from faq.decision import Thresholds
from faq.evaluate import run_eval, run_fit
from faq.kb import KnowledgeBaseError
from faq.library import FaqLibrary
from faq.semantic import EncoderError, load_encoder


def thresholds_from_settings() -> Thresholds:
    from bot.settings import load_settings

    settings = load_settings()
    return Thresholds(
        answer=settings.faq_answer_threshold,
        suggest=settings.faq_suggest_threshold,
        margin=settings.faq_margin,
    )


def library_from_settings(paths: list[Path], thresholds: Thresholds) -> FaqLibrary:
    """A library with the bot's encoder (`FAQ_ENCODER`, `FAQ_CACHE_DIR`)."""
    from bot.settings import load_settings

    settings = load_settings()
    return FaqLibrary(
        paths,
        thresholds,
        encoder=load_encoder(settings.faq_encoder),
        cache_dir=settings.faq_cache_dir,
    )


def _ask(paths: list[Path], text: str, thresholds: Thresholds) -> int:
    library = library_from_settings(paths, thresholds)
    decision = library.decide(text)
    print(f"outcome: {decision.outcome.value}")
    if decision.small_talk is not None:
        print(f"small talk: {decision.small_talk.value}")
    print(f"reason: {decision.reason}")
    print(
        f"thresholds: answer {thresholds.answer:g}, suggest {thresholds.suggest:g}, "
        f"margin {thresholds.margin:g}%"
    )
    for rank, candidate in enumerate(decision.candidates, start=1):
        entry = library.entry(candidate.entry_id)
        question = entry.questions[0] if entry else ""
        print(f"{rank}. {candidate.entry_id:<28} {candidate.score:6.2f}  {question}")
    if decision.entry_id is not None:
        entry = library.entry(decision.entry_id)
        if entry is not None:
            print()
            print(entry.answer)
    return 0


def _suggest(since: date, until: date, out: Path) -> int:
    """Drafts come from the bot's own records, so this reads the bot's settings."""
    from bot.reports.cli import ReportError, write_suggestions
    from bot.settings import SettingsError, load_settings

    try:
        count = asyncio.run(write_suggestions(load_settings(), since, until, out))
    except (ReportError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{count} draft(s) written to {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faq", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate a knowledge base (exit 1 on errors)")
    check.add_argument("paths", nargs="+", type=Path)
    ask = commands.add_parser("ask", help="show the decision for one message")
    ask.add_argument("path", type=Path)
    ask.add_argument("text")
    evaluate = commands.add_parser("eval", help="measure decisions on a labelled TSV")
    evaluate.add_argument("kb", type=Path)
    evaluate.add_argument("questions", type=Path)
    fit = commands.add_parser("fit", help="fit the decision model on labelled TSVs")
    fit.add_argument("kb", type=Path)
    fit.add_argument("questions", type=Path, nargs="+")
    suggest = commands.add_parser(
        "suggest", help="draft entries from unanswered questions that staff answered"
    )
    suggest.add_argument("--since", type=date_argument, required=True)
    suggest.add_argument("--until", type=date_argument, required=True)
    suggest.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")

    if args.command == "suggest":
        return _suggest(args.since, args.until, args.out)
    thresholds = thresholds_from_settings()
    try:
        if args.command == "check":
            return run_check(list(args.paths), thresholds)
        if args.command == "ask":
            return _ask([args.path], args.text, thresholds)
        if args.command == "fit":
            return run_fit(library_from_settings([args.kb], thresholds), list(args.questions))
        return run_eval(library_from_settings([args.kb], thresholds), args.questions)
    except EncoderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KnowledgeBaseError as error:
        for line in error.errors:
            print(f"error: {line}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
