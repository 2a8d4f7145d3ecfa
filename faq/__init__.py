"""FAQ engine: knowledge base, normalisation, matching and the answer/suggest/escalate decision."""

from faq.decision import Candidate, Decision, Outcome, SmallTalk, Thresholds
from faq.kb import FaqEntry, KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from faq.library import FaqLibrary

__all__ = [
    "Candidate",
    "Decision",
    "FaqEntry",
    "FaqLibrary",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Outcome",
    "SmallTalk",
    "Thresholds",
    "load_knowledge_base",
]
