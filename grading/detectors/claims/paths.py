"""Menu paths: current, retired, documented or unknown, each ending where the path ends."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz

from grading.detectors.knowledge_base import KnowledgeBase, ProcessFact
from grading.detectors.text import sentence_at

from .base import CONTRADICTED, SUPPORTED, UNSUPPORTED, Claim, _claim, alias_pattern, per_kb

# ---- process paths -------------------------------------------------------------------------

PATH_SEP = r"(?:\s*(?:>|\u2192|\u00bb|->|\u203a)\s*|\s+/\s+)"
_HEAD_EXCLUDED = (
    r"(?!(?:Open|Go|Click|Select|Choose|Tap|Navigate|Head|Visit|Check|Use|Find|Under|In|At|"
    r"From|Via|Then|Try|Just|Simply|Please|And|Or)\b)"
)


@per_kb
def _path_vocabulary(kb: KnowledgeBase) -> frozenset[str]:
    """Words a path segment may continue with: any word of a process's current or retired
    path ('Sending domains', 'Invoice history'); capitalised words from other paths."""
    vocabulary: set[str] = set()
    for process in kb.processes:
        for path in (process.current_path, *process.outdated_paths):
            for segment in re.split(PATH_SEP, path):
                vocabulary.update(w.lower() for w in segment.split())
    for path in _all_kb_paths(kb):
        for segment in re.split(PATH_SEP, path):
            vocabulary.update(w.lower() for w in segment.split() if w[:1].isupper())
    return frozenset(vocabulary)


@per_kb
def _all_kb_paths(kb: KnowledgeBase) -> list[str]:
    paths = []
    for process in kb.processes:
        paths += [process.current_path, *process.outdated_paths]
    word = r"[\w&'\u2019-]+"
    simple = re.compile(
        rf"[A-Z]{word}(?: {word}){{0,3}}(?:{PATH_SEP}[A-Z]{word}(?: {word}){{0,3}})+"
    )
    for fact in kb.facts:
        for source in (fact.statement, *getattr(fact, "steps", ())):
            for match in simple.finditer(source):
                segments = re.split(PATH_SEP, match.group(0))
                kept = [_segment_words(segment) for segment in segments]
                paths.append(" > ".join(k for k in kept if k))
    return paths


def _segment_words(segment: str) -> str:
    """A path segment up to the first plain-English word ('Store and reconnect' -> 'Store')."""
    kept = []
    for word in segment.split():
        if kept and word.lower() in _NOT_IN_PATHS:
            break
        kept.append(word)
    return " ".join(kept)


_NOT_IN_PATHS = frozenset(
    """
    a an and or the then to for from in on at by of with so if is are was be it its your
    you we our their this that these those where when which who while until before after
    under over into onto via then also just click select choose open tap go
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@lru_cache(maxsize=64)
def _path_regex(vocabulary: frozenset[str]) -> re.Pattern[str]:
    extra = "|".join(
        sorted((re.escape(w) for w in vocabulary if w.islower()), key=len, reverse=True)
    )
    continuation = rf"(?: (?:[A-Z0-9][\w&'\u2019-]*|(?:{extra or '(?!x)x'})(?![\w-])))"
    segment = (
        rf"(?:[A-Z][\w&'\u2019-]*{continuation}{{0,3}}|\([^)]{{1,40}}\)|['\"][^'\"]{{1,40}}['\"])"
    )
    head = rf"{_HEAD_EXCLUDED}[A-Z][\w&'\u2019-]*{continuation}{{0,2}}"
    quote = r"[*\"\u201c\u201d]*"  # '**Settings** > **Billing**', '"Settings" > "Billing"'
    return re.compile(rf"{head}(?:{quote}{PATH_SEP}{quote}{segment})+")


def find_paths(text: str, kb: KnowledgeBase) -> list[tuple[str, int, int]]:
    """Menu paths ('Settings > Billing > Plan') as written, ending where the path ends."""
    pattern = _path_regex(_path_vocabulary(kb))
    return [(m.group(0), m.start(), m.end()) for m in pattern.finditer(text or "")]


def _path_key(path: str) -> str:
    parts = re.split(PATH_SEP, path)
    return " > ".join(p.strip(" *'\"\u201c\u201d").lower() for p in parts if p.strip(" *"))


@per_kb
def documented_paths(kb: KnowledgeBase) -> dict[str, str]:
    """Menu paths quoted in any fact's statement or steps: normalised path -> fact id."""
    found: dict[str, str] = {}
    for fact in kb.facts:
        for source in (fact.statement, *getattr(fact, "steps", ())):
            for path, _, _ in find_paths(source, kb):
                found.setdefault(_path_key(path), fact.id)
    for process in kb.processes:
        found[_path_key(process.current_path)] = process.id
    return found


@per_kb
def _outdated_keys(kb: KnowledgeBase) -> dict[str, ProcessFact]:
    return {_path_key(p): process for process in kb.processes for p in process.outdated_paths}


def check_processes(text: str, kb: KnowledgeBase) -> list[Claim]:
    documented = documented_paths(kb)
    outdated = _outdated_keys(kb)
    claims = []
    for path, start, end in find_paths(text, kb):
        if _in_another_product(text, start, kb):
            continue  # "in Excel: File > Save As > CSV UTF-8" is not our menu
        key = _path_key(path)
        claims.append(_path_claim(text, path, start, end, key, documented, outdated, kb))
    return claims


ANOTHER_PRODUCT = re.compile(
    r"\b(?:in|on|from|using|via)\s+(?:your\s+|the\s+)?(?P<name>[A-Z][\w.]+(?:\s+[A-Z][\w.]+)?)"
    r"(?:'s)?(?:\s+(?:admin|app|settings|account|dashboard|menu|store))?\s*[:,(]?\s*"
    r"(?:(?:go|head) to|open|choose|click|select|use)?\s*$"
)


def _in_another_product(text: str, start: int, kb: KnowledgeBase) -> bool:
    """Whether the path is said to be in another product's menus ("in Excel:", "in your
    Shopify admin, go to"), not the company's or one of its plans."""
    sentence = sentence_at(text, start)
    before = text[max(sentence.start, start - 60) : start]
    found = ANOTHER_PRODUCT.search(before)
    if not found:
        return False
    name = found.group("name").lower()
    ours = {n.lower() for n in kb.company_names} | {p.plan.lower() for p in kb.plans}
    return not any(name == n or name.startswith(n + " ") for n in ours)


def _path_claim(text, path, start, end, key, documented, outdated, kb) -> Claim:
    if key in outdated:
        process = outdated[key]
        return _claim("process", text, start, end, CONTRADICTED, process, "retired path")
    fact_id = documented.get(key) or next(
        (v for k, v in documented.items() if k.startswith(key + " >")), None
    )
    if fact_id is None and key.count(">") >= 1:
        # a documented path followed by a button or field name ('… > Export CSV > Download')
        fact_id = next((v for k, v in documented.items() if key.startswith(k + " >")), None)
        if fact_id and any(key.startswith(k + " >") for k in outdated):
            fact_id = None
    if fact_id:
        return _claim("process", text, start, end, SUPPORTED, kb.get(fact_id), "documented path")
    near_current = _best_path(key, [p.current_path for p in kb.processes])
    near_outdated = _best_path(key, list(outdated))
    if near_current[1] >= 90 and near_current[1] >= near_outdated[1]:
        fact = next(p for p in kb.processes if _path_key(p.current_path) == near_current[0])
        return _claim("process", text, start, end, SUPPORTED, fact, "matches the current path")
    if near_outdated[1] >= 85:
        return _claim(
            "process",
            text,
            start,
            end,
            CONTRADICTED,
            outdated[near_outdated[0]],
            "near a retired path",
        )
    sentence = sentence_at(text, start)
    topical = next(
        (p for p in kb.processes if alias_pattern(p.topic_phrases).search(sentence.text)), None
    )
    if topical is not None:
        return _claim("process", text, start, end, CONTRADICTED, topical, "not the documented path")
    return _claim("process", text, start, end, UNSUPPORTED, None, "path not in the knowledge base")


def _best_path(key: str, paths: Iterable[str]) -> tuple[str, float]:
    best, best_score = "", 0.0
    for path in paths:
        other = _path_key(path)
        score = fuzz.ratio(key, other)
        if score > best_score:
            best, best_score = other, score
    return best, best_score
