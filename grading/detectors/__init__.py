"""Pure-Python text detectors (no Django): messages, replies, claims and the knowledge base."""

from grading.detectors.claims import Claim, Finding, audit_draft, check_claims
from grading.detectors.knowledge_base import KnowledgeBase, KnowledgeBaseError
from grading.detectors.messages import MessageAnalysis, analyze_message
from grading.detectors.replies import ReplyAnalysis, analyze_reply

__all__ = [
    "Claim",
    "Finding",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MessageAnalysis",
    "ReplyAnalysis",
    "analyze_message",
    "analyze_reply",
    "audit_draft",
    "check_claims",
]
