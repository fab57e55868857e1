"""Reply quality: the six reply criteria every exercise type's rubric includes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from grading.detectors.claims import (
    CONTRADICTED,
    SUPPORTED,
    UNSUPPORTED,
    Claim,
    find_irrelevance,
    topics_in,
)
from grading.detectors.claims.base import per_kb
from grading.detectors.knowledge_base import KnowledgeBase
from grading.detectors.messages import analyze_message
from grading.detectors.replies import LIST_STEP, SCRIPTED
from grading.detectors.text import (
    Span,
    content_words,
    dedupe_overlaps,
    find_all,
    phrase_pattern,
    regex,
    sentences,
    stem,
    word_count,
)

from .context import Context, _dict, _evidence, _list, _quote, _quotes, _text
from .results import Evidence, Raw
from .vocabulary import URL_ONLY

REPLY_CRITERIA = (
    "tone_match",
    "empathy",
    "accuracy",
    "completeness",
    "next_steps",
    "personalization",
)
HEDGES = regex(
    r"I (?:believe|think|guess|assume)",
    r"(?:should|might|may) be around",
    r"somewhere (?:in|under)",
    r"probably",
    r"not (?:100% )?sure",
    r"roughly",
    r"I'm not certain",
    r"if I remember",
)


def _no_reply(top: int = 3) -> Raw:
    return Raw(0, top, "No reply was submitted.")


REASSURING = regex(
    r"you (?:still )?have until",
    r"there(?:'s| is) (?:still )?(?:time|plenty of time)",
    r"you(?:'re| are) (?:well )?(?:inside|within)",
    r"let's get",
    r"(?:don't|do not|no need to) worry",
    r"good news",
    r"(?:nothing|none of (?:it|them|your \w+)) (?:is|has been|was|will be) lost",
    r"(?:is|are) (?:still )?(?:safe|there|intact)",
    r"we(?:'ll| will) get (?:this|it|you)",
    r"(?:I|we)(?:'ve| have) got (?:this|it|you)",
    r"(?:I'm|I am|we're|we are) on it",
    r"rest assured",
    r"(?:quick|easy) (?:fix|to fix)",
)
EXPLAINING = regex(
    r"because",
    r"due to",
    r"(?:this|that|which) means",
    r"so (?:that|you|anyone|neither|it|your)",
    r"(?:is|are) counted",
    r"counts? (?:as|toward|towards|once)",
    r"works? (?:like|by)",
    r"in other words",
    r"for example",
    r"the difference",
    r"when you",
    r"once (?:you|the|it)",
    r"if you",
    r"(?:is|are) (?:kept|charged|billed|included|added|removed|reset|paused)",
)
STRUCTURED = regex(
    r"in turn",
    r"step[- ]by[- ]step",
    r"here's how",
    r"(?:first|second|then|finally),",
    r"let me (?:lay|walk|break|explain)",
    r"two (?:things|questions|parts)",
)
APPRECIATING = regex(
    r"thank(?:s| you)",
    r"congratulations|congrats",
    r"(?:great|lovely|wonderful|fantastic|brilliant) (?:to hear|news)",
    r"(?:so |really )?(?:glad|thrilled|delighted|happy) (?:to hear|that|you)",
    r"made (?:our|my|the team's) (?:day|morning|week)",
    r"means a lot",
    r"kind words",
    r"(?:we|I) (?:really |truly )?appreciate",
)
RELATING = regex(
    r"(?:forwarded|passed|shared) (?:your|this|it|the)",
    r"here's to",
    r"(?:an|one) idea",
    r"(?:a )?pleasure (?:having|working)",
    r"proud",
    r"(?:grown|grow|growing) with us",
    r"keep (?:growing|going)",
    r"we(?:'d| would) love",
    r"looking forward",
    r"(?:next|coming) (?:month|release|step|milestone)",
    r"on board",
    r"staying with us",
    r"part of (?:it|your)",
    r"if you(?:'d| would) like",
    r"you could (?:also )?(?:try|build|use|set)",
    r"(?:stay|staying|stick\w*) with us",
    r"deciding to",
)
PITCH = regex(r"(?:have you considered|why not|you should consider|consider) upgrad\w*")
CONDESCENDING = regex(
    r"obviously",
    r"as (?:I|we) (?:already )?(?:said|explained|mentioned)",
    r"(?:it's|it is) (?:easy|simple)",
    r"simply (?:click|go|do|open|select)",
    r"just (?:click|do|go) (?:it|to)",
    r"clearly (?:states|stated|says)",
)


def _tone_features(ctx: Context) -> dict[str, list[Span]]:
    text, ra = ctx._scored_reply, ctx.reply_analysis
    scripted = find_all(SCRIPTED, text, "scripted")
    acknowledgement = [*ra.empathy["acknowledge_feeling"]]
    if not ra.over_apologising:
        acknowledgement += ra.empathy["apology"]
    return {
        "real_ack": [a for a in acknowledgement if not any(_overlaps(a, x) for x in scripted)],
        "scripted": scripted,
        "solution": [*_customer_steps(ctx), *find_all(EXPLICIT_COMMITMENT, text, "commitment")],
        "reassurance": [*find_all(REASSURING, text, "reassuring"), *ra.empathy["reassurance"]],
        "explanation": find_all(EXPLAINING, text, "explanation"),
        "structure": [*find_all(STRUCTURED, text, "structure"), *find_all(LIST_STEP, text, "list")],
        "appreciation": find_all(APPRECIATING, text, "appreciation"),
        "relationship": [
            *find_all(RELATING, text, "relationship"),
            *ra.tone_markers.get("relationship_building", ()),
        ],
    }


def _action_first(ctx: Context, solution: list[Span]) -> bool:
    """Does the action come within the first two sentences after the greeting?"""
    if not solution:
        return False
    body = _body_sentences(ctx._scored_reply)
    first = min(s.start for s in solution)
    return any(sentence.start <= first < sentence.end + 1 for sentence in body[:2])


def score_tone_match(ctx: Context) -> Raw:
    """3 the register the state calls for throughout; 2 its core with the supporting element
    weak; 1 the core missing but nothing hostile; 0 works against the state."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    state = ctx.target_state
    f = _tone_features(ctx)
    hostile = [*ra.defensive, *_repeated_failed_fix(ctx)]
    if state == "confused":
        hostile += find_all(CONDESCENDING, ctx._scored_reply, "condescending")
    if state == "satisfied" and ra.over_apologising:
        hostile += list(ra.empathy["apology"])
    if state == "frustrated" and ctx._scored_reply.count("!") >= 2:
        at = ctx.reply.index("!")
        hostile.append(Span("mismatch", "!", at, at + 1))
    if ra.over_apologising and not hostile:
        note = f"{ra.apology_count} apologies stand in for the answer."
        if ra.stuffing:  # as below: padding never helps, and costs a level
            return Raw(0, 3, note + f" Padding as well ({_quotes(ra.stuffing, 2)}).")
        return Raw(1, 3, note)
    if hostile:
        return Raw(
            0,
            3,
            f"Works against a {state} customer: {_quotes(hostile)}.",
            _evidence("reply", hostile, "tone slip"),
        )
    if state == "urgent":
        early = _action_first(ctx, f["solution"]) or bool(
            re.search(
                r"\blet's get\b",
                " ".join(s.text for s in _body_sentences(ctx._scored_reply)[:1]),
                re.I,
            )
        )
        core, support = early, bool(f["reassurance"])
        names = ("action first", "reassurance")
        if not early and f["solution"] and not ra.over_apologising:
            return Raw(1, 3, "Urgent customer: the action is there, but only after a preamble.")
    elif state == "frustrated":
        owned = bool(f["real_ack"])
        resolved = bool(f["solution"])
        if not owned:
            return Raw(
                1,
                3,
                "Frustrated customer: nothing owns the frustration (transactional or scripted).",
            )
        core = resolved
        support = bool(_situated(ctx, f["real_ack"])) and resolved
        names = ("the frustration owned with a concrete solution", "owning it for their case")
        if not resolved:
            return Raw(
                2, 3, "Frustrated customer: the frustration is owned, but no concrete solution yet."
            )
    elif state == "confused":
        lists = len([s for s in f["structure"] if s.kind == "list"]) >= 2 or any(
            s.kind == "structure" for s in f["structure"]
        )
        patient = bool(ra.tone_markers.get("patient")) or len(f["explanation"]) >= 2
        core, support = bool(f["explanation"]) or lists, lists and patient
        names = ("a patient explanation", "structured teaching")
    else:
        pitch = find_all(PITCH, ctx._scored_reply, "pitch")
        core, support = bool(f["appreciation"]) and not pitch, bool(f["relationship"])
        names = ("appreciation", "relationship")
        if pitch:
            return Raw(
                1, 3, f"Satisfied customer: thanks turned into a sales pitch ({_quotes(pitch)})."
            )
    evidence = tuple(
        e for key in f for e in _evidence("reply", f[key][:1], key) if key != "scripted"
    )
    if ra.stuffing:  # padding never helps: the rest is scored as if it were not there, minus one
        points = 3 if core and support else 2 if core else 1
        return Raw(
            max(0, points - 1),
            3,
            f"Padding, stock phrases or keyword lists ({_quotes(ra.stuffing, 2)}) cost a level.",
            evidence,
        )
    if core and support:
        return Raw(3, 3, f"{state.capitalize()} customer: {names[0]} and {names[1]}.", evidence)
    if core:
        return Raw(
            2, 3, f"{state.capitalize()} customer: {names[0]}, but {names[1]} is weak.", evidence
        )
    if state == "frustrated" and support:
        return Raw(2, 3, f"Frustrated customer: only part of {names[0]}.", evidence)
    return Raw(1, 3, f"{state.capitalize()} customer: {names[0]} is missing.", evidence)


FAILED_FIX = regex(
    r"(?:already|just) (?:tried|did|done|followed|re-?\w+)",
    r"already \w+ed",
    r"tried (?:that|this|it|everything|twice)",
    r"(?:didn't|did not|doesn't|does not|hasn't|has not) (?:work|help|fix|change)",
    r"(?:twice|again|both times|several times|(?:two|three|\d) times)",
    r"like (?:your|the) (?:article|guide|help page|docs?) (?:says|said)",
    r"no luck",
    r"nothing changed",
)


def _repeated_failed_fix(ctx: Context) -> list[Span]:
    """Steps the reply recommends that the customer says they already tried without success."""
    message = ctx.message or ctx.thread_text
    parts = [s.text for s in sentences(message)]
    tried = [
        text
        for i, text in enumerate(parts)
        if (
            FAILED_FIX.search(text)
            or (
                i + 1 < len(parts)
                and re.search(r"\b(?:still|didn't|no luck)\b", parts[i + 1], re.I)
            )
        )
        and re.search(r"\b(?:I|we)(?:'ve| have)? (?:already )?\w+ed\b", text, re.I)
    ]
    if not tried:
        return []
    tried_words = {stem(w) for t in tried for w in content_words(t)} - COMMON_STEMS
    found = []
    for step in _customer_steps(ctx):
        step_words = {stem(w) for w in content_words(step.text)} - COMMON_STEMS
        if (
            len(step_words) >= 2
            and len(step_words & tried_words) >= 2
            and not re.search(
                r"\b(?:again|instead|already|you tried|you've tried|didn't|rather than)\b",
                step.text,
                re.I,
            )
        ):
            found.append(Span("repeated_fix", step.text, step.start, step.end))
    return found[:2]


def _body_sentences(text: str) -> list:
    """Sentences without a bare greeting line ('Hi Maria,')."""
    return [
        s
        for s in sentences(text)
        if not (re.match(r"^(hi|hello|dear|hey)\b", s.text, re.I) and word_count(s.text) <= 4)
    ]


def score_empathy(ctx: Context) -> Raw:
    """3 feeling and situation; 2 real but generic; 1 token or scripted; 0 none or dismissive."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    if ra.defensive:
        return Raw(
            0,
            3,
            f"Defensive or blaming language: {_quotes(ra.defensive)}.",
            _evidence("reply", ra.defensive, "defensive"),
        )
    feeling = [*ra.empathy["acknowledge_feeling"], *ra.empathy["reassurance"]]
    feeling += list(ra.empathy["apology"])
    feeling += find_all(VALIDATING, ctx._scored_reply, "acknowledge_feeling")
    if ctx.target_state == "satisfied":
        feeling += list(ra.tone_markers.get("appreciative", ()))
        feeling += find_all(APPRECIATING, ctx._scored_reply, "appreciative")
    feeling = sorted(dedupe_overlaps(feeling), key=lambda s: s.start)
    if not feeling:
        return Raw(0, 3, "No acknowledgement of how the customer feels.")
    scripted_spans = [
        Span("scripted", m.group(0), m.start(), m.end())
        for m in SCRIPTED.finditer(ctx._scored_reply)
    ]
    situation = _situated(ctx, feeling)
    scripted_sentences = [
        s for s in sentences(ctx._scored_reply) if any(_overlaps(s, x) for x in scripted_spans)
    ]
    real = [
        f for f in feeling if not any(s.start <= f.start < s.end + 1 for s in scripted_sentences)
    ]
    # an apology on its own is a token; it is real empathy only where it names their case
    real = [f for f in real if f.kind != "apology" or _situated(ctx, [f])]
    evidence = _evidence("reply", feeling, "acknowledgement") + _evidence(
        "reply", situation[:2], "specific situation"
    )
    if ra.over_apologising:
        others = [f for f in feeling if not any(_overlaps(f, a) for a in ra.empathy["apology"])]
        note = f"{ra.apology_count} apologies read as scripted, not as empathy."
        return Raw(1 if others else 0, 3, note, evidence)
    if real and len({stem(s.text.lower()) for s in situation}) >= 2:
        note = (
            f"Acknowledges the feeling ({_quotes(real)}) and their situation "
            f"({_quotes(situation)})."
        )
        return Raw(3, 3, note, evidence)
    if real or (scripted_spans and situation):
        note = f"A real acknowledgement ({_quotes(feeling)}), but not of their specific situation."
        return Raw(2, 3, note, evidence)
    return Raw(1, 3, f"Only a stock phrase: {_quotes(scripted_spans or feeling)}.", evidence)


VALIDATING = regex(
    r"(?:can|may|might|must) (?:feel|seem|look) (?:like )?(?:a lot|confusing|overwhelming|daunting|"
    r"tricky|worrying|stressful)",
    r"(?:isn't|is not|aren't|wasn't) (?:obvious|clear|intuitive|a nice thing)",
    r"(?:less|more) complicated than",
    r"(?:a |really |very )?common (?:question|thing|mix-up|confusion)",
    r"congratulations|congrats",
    r"(?:so |really )?(?:glad|happy|pleased|thrilled|delighted) (?:to hear|the|that|it|you)",
    r"made (?:our|the team's|my) (?:day|morning|week)",
    r"(?:lovely|great|good) (?:idea|question|news)",
    r"(?:I|we) can see why",
    r"(?:every|each) (?:hour|minute|day) counts",
    r"(?:you're|you are) right to",
    r"(?:isn't|is not|wasn't) (?:the service|good enough|what you)",
    r"happy to (?:untangle|explain|walk)",
    r"not a (?:dumb|silly|stupid|daft) question",
    r"(?:get|gets|got) mixed up",
    r"(?:is|are|can be) (?:a big job|confusing|tricky|a lot to)",
    r"(?:a )?fair question",
    r"(?:is|are) (?:safe|not lost)",
)


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _situated(ctx: Context, feeling: list[Span]) -> list[Span]:
    """Specifics of the customer's case in or right after a sentence that acknowledges a feeling."""
    parts = sentences(ctx.reply)
    near: list[tuple[int, int]] = []
    for index, sentence in enumerate(parts):
        if any(sentence.start <= f.start < sentence.end + 1 for f in feeling):
            following = parts[index + 1] if index + 1 < len(parts) else sentence
            near.append((sentence.start, following.end))
    specifics = [*ctx.reply_analysis.specifics, *_impact_mentions(ctx)]
    return [s for s in specifics if any(a <= s.start < b for a, b in near)]


def _impact_mentions(ctx: Context) -> list[Span]:
    """Where the reply names the customer's deadline or stake (urgency cues from the message)."""
    analysis = analyze_message(ctx.message)
    cues = [
        i.text for i in analysis.indicators if i.kind in ("urgency_words", "contradictory_requests")
    ]
    terms = {stem(w) for w in content_words(" ".join(cues))}
    terms |= {w.lower() for w in re.findall(r"\b\d{1,2}\s?(?:am|pm)\b", ctx.message, re.I)}
    found = []
    for match in re.finditer(r"[\w']+(?:\s?(?:am|pm))?", ctx._scored_reply):
        word = match.group(0).lower()
        if word in terms or stem(word) in terms:
            found.append(Span("impact", match.group(0), match.start(), match.end()))
    return found[:3]


def score_accuracy(ctx: Context) -> Raw:
    """0 two or more contradicted claims; 1 one; 2 vague, hedged or link only; 3 right and specific.

    A link is not accuracy: it neither raises nor lowers the score.
    """
    if not ctx.reply.strip():
        return _no_reply()
    claims = ctx.reply_claims + _repeated_planted_errors(ctx)
    wrong = [c for c in claims if c.status == CONTRADICTED]
    unsure = [c for c in claims if c.status == UNSUPPORTED]
    right = [c for c in claims if c.status == SUPPORTED]
    evidence = tuple(
        Evidence("reply", c.start, c.end, f"{c.status}: {c.detail}") for c in claims[:6]
    )
    if wrong:
        fixes = "; ".join(
            f"{_quote(c.text, 40)} ({c.fact_id}): {c.correction or c.detail}" for c in wrong[:3]
        )
        return Raw(
            0 if len(wrong) >= 2 else 1, 3, f"Contradicts the knowledge base: {fixes}", evidence
        )
    hedges = [m.group(0) for m in HEDGES.finditer(ctx._scored_reply)]
    hedges += [m.group(0) for m in VAGUE_FACTS.finditer(ctx._scored_reply)]
    checked = f"{len(right)} claim(s) checked against the knowledge base, none wrong"
    if hedges or unsure:
        detail = _quotes([Span("x", c.text, c.start, c.end) for c in unsure]) or ", ".join(hedges)
        return Raw(2, 3, f"{checked}; hedged, vague or unverifiable: {detail}.", evidence)
    asked = set(topics_in(ctx.message or ctx.thread_text, ctx.kb)) if _needs_facts(ctx) else set()
    stated = {c.fact_id for c in right} | set(topics_in(ctx._scored_reply, ctx.kb))
    if right and (not asked or {c.fact_id for c in right} & asked or _states_figures(ctx)):
        return Raw(3, 3, f"{checked}.", evidence)
    if right and not (asked & stated):
        return Raw(2, 3, f"{checked}, but none of them is what the customer asked about.", evidence)
    if right:
        return Raw(3, 3, f"{checked}.", evidence)
    if _needs_facts(ctx):
        return Raw(
            2,
            3,
            "Nothing contradicted, but the reply does not state the facts the question needs "
            "(a link alone is not an answer).",
            evidence,
        )
    return Raw(3, 3, "No factual claim was needed and none is wrong.", evidence)


VAGUE_FACTS = regex(
    r"a small (?:monthly |one-off )?(?:fee|charge|cost)",
    r"a few (?:team members|seats|days|hours|people|users)",
    r"(?:for )?a (?:period|while|little while) (?:of time )?(?:before|after)",
    r"(?:details|information) (?:are |is )?(?:in|on) (?:your|the) "
    r"(?:billing|account|settings) page",
    r"(?:eventually|at some point|soon enough)",
    r"(?:some|certain) (?:plans|features|limits)",
)


def _states_figures(ctx: Context) -> bool:
    """Does the reply give exact figures or paths (what a vague reply leaves out)?"""
    return bool(
        re.search(
            r"[$€£]\s?\d|\b\d+\s?(?:%|business|days?|hours?|months?|seats?|"
            r"contacts|sends|emails)\b|\w+ ?> ?\w+",
            ctx._scored_reply,
            re.I,
        )
    )


FACT_QUESTION = regex(
    r"how (?:much|long|many|soon|often)",
    r"when (?:do|does|will|can|is|are|did)",
    r"(?:what|which) (?:plan|price|cost|fee|limit|date|day|time)",
    r"(?:price|cost|charge|fee|refund|limit|quota|window)\w*",
    r"(?:is|are|does|do|can|will) (?:it|this|that|there|we|i|my|our)\b[^?]*\?",
    r"where (?:do|can|is|are)",
    r"how (?:do|can) (?:i|we)",
)


def _needs_facts(ctx: Context) -> bool:
    """Does the customer's message ask for something the knowledge base answers?"""
    message = ctx.message or ctx.thread_text
    return bool(topics_in(message, ctx.kb)) and bool(FACT_QUESTION.search(message))


def _is_kb_link(url: str, kb: KnowledgeBase) -> bool:
    url = url.rstrip("/").lower()
    sources = {f.source_url.rstrip("/").lower() for f in kb.facts if f.source_url}
    hosts = {re.sub(r"^https?://", "", s).split("/")[0] for s in sources}
    return url in sources or any(h and h in url for h in hosts)


def _repeated_planted_errors(ctx: Context) -> list[Claim]:
    """Planted draft errors the agent copied into the reply word for word."""
    found = []
    for error in _list(ctx.scenario.get("errors")):
        span = _text(_dict(error).get("span"))
        if len(span) < 12 or error.get("type") == "irrelevant_answer":
            continue
        at = ctx.reply.lower().find(span.lower())
        if at >= 0:
            detail = f"repeats the draft's {error.get('type')}"
            found.append(
                Claim(
                    "planted",
                    span,
                    at,
                    at + len(span),
                    CONTRADICTED,
                    error.get("fact_id"),
                    error.get("correction"),
                    detail,
                )
            )
    return found


ACT_REQUEST = regex(r"fix\w*", r"sort\w*", r"resolve\w*", r"help", r"look (?:at|into)", r"check")
EXPLAINS = regex(
    r"because",
    r"due to",
    r"this happens",
    r"the reason",
    r"(?:that's|which is) why",
    r"happened (?:because|when)",
    r"caused",
)


def _answered(request: str, reply: str, *, has_steps: bool) -> bool:
    wanted = {stem(w) for w in content_words(request)}
    if len(wanted) < 2:
        return True  # 'please help asap': nothing specific to answer
    if wanted & {stem(w) for w in content_words(reply)}:
        return True
    if re.match(r"\s*why\b", request, re.I) and EXPLAINS.search(reply):
        return True
    return has_steps and bool(ACT_REQUEST.search(request))


COMMON_STEMS = frozenset(
    [
        "time",
        "work",
        "works",
        "team",
        "day",
        "days",
        "month",
        "week",
        "year",
        "help",
        "thing",
        "things",
        "account",
        "customer",
        "support",
        "email",
        "business",
    ]
)


def _on_topic(reply: str, message: str) -> str:
    """The reply's sentences that share at least two content words with the message."""
    wanted = {stem(w) for w in content_words(message)} - COMMON_STEMS
    kept = [
        s.text
        for s in sentences(reply)
        if len(wanted & {stem(w) for w in content_words(s.text)}) >= 2
    ]
    return " ".join(kept)


ASK_KIND = (
    (
        "amount",
        regex(
            r"how much",
            r"what (?:would|will|does|do) (?:that|it|this|we|i) (?:cost|pay)",
            r"(?:price|cost|fee|charge)s?\b[^?]*\?",
            r"what is the extra",
            r"how many",
        ),
    ),
    (
        "time",
        regex(
            r"how (?:long|quickly|soon|fast)",
            r"when (?:will|would|do|does|can|is|are)",
            r"by when",
            r"what time",
            r"(?:response|reply) time",
            r"how many days",
        ),
    ),
    (
        "place",
        regex(
            r"where (?:do|can|is|are|would|should|did)",
            r"how (?:do|can|would|should) (?:i|we)",
            r"how to",
            r"what do i (?:click|do)",
        ),
    ),
    ("reason", regex(r"why", r"what (?:happened|caused|is going on|went wrong)")),
    (
        "steps",
        regex(
            r"what (?:can|should|do) (?:i|we) do",
            r"how (?:can|do) (?:i|we) (?:get|fix|stop|finish)",
        ),
    ),
)
AMOUNT = re.compile(
    r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:%|per|a month|a year|/)|\b(?:free|no charge|"
    r"nothing extra|included)\b",
    re.I,
)
TIME = re.compile(
    r"\b\d+(?:[\u2013-]\d+)?\s?(?:minutes?|mins?|hours?|hrs?|business|working|days?|weeks?|"
    r"months?|years?)\b|\b(?:today|tomorrow|tonight|immediately|straight away|right away|"
    r"instantly|next (?:billing|renewal|month)|billing date|at the end of)\b|"
    r"\b\d{1,2}(?::\d\d)?\s?(?:am|pm)\b",
    re.I,
)
PLACE = re.compile(
    r"\w+ ?> ?\w+|\b(?:go to|open|click|select|under|in the \w+ (?:tab|menu|page))\b", re.I
)
REASON = re.compile(
    r"\b(?:because|due to|caused|since|so that|this happens|the reason|that's why|"
    r"which is why|means|is (?:the|a|your)|was (?:the|a)|(?:is|are|was|were) "
    r"(?:being )?\w+ed)\b",
    re.I,
)
STEPS = re.compile(
    r"\w+ ?> ?\w+|\b(?:upgrade|click|open|go to|update|remove|add|reconnect|wait|edit|"
    r"unschedule|contact|reply|send)\b",
    re.I,
)
ANSWER_FOR = {"amount": AMOUNT, "time": TIME, "place": PLACE, "reason": REASON, "steps": STEPS}


ASK_JOIN = re.compile(
    r"(?:,\s*|;\s*|\s)and (?=(?:does|do|is|are|can|could|will|would|should|how|what|where|when|"
    r"why|which|if)\b)",
    re.I,
)
PRONOUN = re.compile(r"\b(?:it|this|that|them|they|these|those)\b", re.I)


def _asks(message: str) -> list[tuple[str, str]]:
    """Each explicit question or request in a customer message: (the ask, its context).

    A sentence that joins two questions ("How do I add her, and does she need a seat?")
    gives two asks. The context adds the sentence before when the ask leans on a pronoun
    ("Can I stop it?"), so that what "it" is can be matched in the reply.
    """
    asks = []
    parts = [s.text.strip() for s in sentences(message) if s.text.strip()]
    for index, text in enumerate(parts):
        if not (("?" in text or ASK_WORDS.search(text)) and content_words(text)):
            continue
        pieces = [p.strip() for p in ASK_JOIN.split(text) if p.strip()] if "?" in text else [text]
        for piece in pieces:
            context = piece
            own = set(content_words(piece)) - COMMON_STEMS
            if index and PRONOUN.search(piece) and len(own) < 3:
                context = f"{parts[index - 1]} {piece}"
            asks.append((piece, context))
    return asks


ASK_WORDS = regex(
    r"can you",
    r"could you",
    r"please (?!be quick|hurry)",
    r"pls",
    r"i need",
    r"we need",
    r"i want",
    r"i'd like",
    r"how do i",
    r"tell me",
    r"help (?:me|us)",
    r"call me",
    r"fix (?:it|this)",
)


YES_NO_ASK = re.compile(
    r"^\W*(?:and |so |but |also )?(?:can|could|do|does|did|is|are|will|would|should|have|has)\b",
    re.I,
)
YES_NO_ANSWER = regex(
    r"yes",
    r"no",
    r"(?:you|we) (?:can|can't|cannot|will|won't|do|don't|are|aren't|have|haven't)",
    r"(?:it|that|this|they) (?:is|isn't|are|aren't|does|doesn't|will|won't|can|can't|was|wasn't)",
    r"unfortunately",
    r"(?:isn't|aren't|not) (?:available|included|possible|offered)",
)
ECHO_FORMS = {
    ("can", "could"): r"can|can't|cannot|could|couldn't",
    ("do", "does", "did"): r"do|don't|does|doesn't|did|didn't",
    ("is", "are"): r"is|isn't|are|aren't|'s|'re",
    ("will", "would"): r"will|won't|'ll|would|wouldn't",
    ("should",): r"should|shouldn't",
    ("have", "has"): r"have|haven't|has|hasn't|'ve",
}
AUXILIARY = re.compile(r"^\W*(?:and |so |but |also )?(\w+)", re.I)


def _echo_of(ask: str) -> re.Pattern[str] | None:
    """A yes/no answer echoes the question's auxiliary ("Can I stop it?" / "you can unschedule
    it"), wherever in the reply it comes."""
    found = AUXILIARY.match(ask)
    aux = found.group(1).lower() if found else ""
    forms = next((f for keys, f in ECHO_FORMS.items() if aux in keys), None)
    if forms is None:
        return None
    return re.compile(
        r"(?:yes|no)?\W*(?:you|we|it|that|this|they|there|she|he|i)\s?(?:" + forms + r")\b",
        re.I,
    )


# what may come before a yes or no: "The good news is that you can…", "So, yes…"
YES_NO_LEAD = re.compile(
    r"^(?:(?:the )?(?:good|bad) news (?:first|is)(?: that)?|so|and|but|actually|in short|"
    r"short answer|happily|luckily|thankfully)\b[\s,:-]*",
    re.I,
)
POINTER = regex(
    r"(?:find|see|read|visit|check out|refer to|look at)\b[^.!?\n]{0,80}(?:article|guide|page|"
    r"help (?:centre|center|site)|link|here)",
    r"(?:this|the following|our) (?:article|guide|page)",
)


def _informative(stems: set[str], kb: KnowledgeBase) -> set[str]:
    """Drop stems the knowledge base uses everywhere (plan, account, billing): they show a
    sentence is about the product, not about this question."""
    common = _kb_common_stems(kb)
    return {s for s in stems if s not in common}


@per_kb
def _kb_common_stems(kb: KnowledgeBase) -> frozenset[str]:
    counts: dict[str, int] = {}
    for fact in kb.facts:
        for s in {stem(w) for w in content_words(f"{fact.title} {fact.statement}")}:
            counts[s] = counts.get(s, 0) + 1
    limit = max(3, len(kb.facts) // 5)
    return frozenset(s for s, n in counts.items() if n > limit)


@per_kb
def _names(kb: KnowledgeBase) -> frozenset[str]:
    """Stems of the company's and its products' names: every message and reply may use them,
    so sharing them shows nothing about which question a sentence answers."""
    return frozenset(stem(w) for name in kb.company_names for w in content_words(name))


def _restates(sentence: str, told_stems: set[str]) -> bool:
    """A sentence that only says back what the customer wrote ("please check your usage under
    Account > Usage" to someone who has checked it) brings nothing new to answer with."""
    own = {stem(w) for w in content_words(sentence)} - COMMON_STEMS
    return len(own) >= 3 and len(own & told_stems) >= 0.75 * len(own)


class _Unit(NamedTuple):
    text: str


def _with_lists(reply_sentences: list) -> list:
    """The reply's sentences, with a lead-in that ends in a colon ("Your options:", "To stop
    it:") joined to the list items after it: together they are one answer."""
    units: list = []
    lead: list[str] = []
    for sentence in reply_sentences:
        text = sentence.text
        if lead and LIST_STEP.match(text.lstrip("\n")):
            lead.append(text.strip())
            continue
        if lead:
            units.append(_Unit(" ".join(lead)))
            lead = []
        if text.rstrip().endswith(":"):
            lead = [text.strip()]
        else:
            units.append(sentence)
    if lead:
        units.append(_Unit(" ".join(lead)))
    return units


def _subject(text: str, kb: KnowledgeBase) -> set[str]:
    """The stems that say what a question is about (not the product's everyday words)."""
    return _informative({stem(w) for w in content_words(text)} - COMMON_STEMS - _names(kb), kb)


def _about_another(sentence: str, subject: set[str], others: frozenset[str]) -> bool:
    words_in = {stem(w) for w in content_words(sentence)}
    return bool(words_in & (others - subject)) and not words_in & subject


def _answer_to(
    ask: str,
    context: str,
    reply_sentences: list,
    kb: KnowledgeBase,
    *,
    told: str = "",
    others: frozenset[str] = frozenset(),
) -> str:
    """'full' when the reply answers the question (with an amount or a time where it asks for
    one), 'partial' when it speaks to its subject without the amount or time asked for,
    'link' when only a link does, '' when nothing does (a promise to look into it is not an
    answer). A reply sentence that only says back what the customer told us (`told`: the
    message's statements, what they have tried or know) is not an answer."""
    # what the question is about: its own words, or, for "Can I stop it?", the sentence
    # before that says what "it" is
    subject = _subject(context, kb)
    topics = set(topics_in(context, kb))
    told_stems = {stem(w) for w in content_words(told)}
    reply_sentences = [s for s in _with_lists(reply_sentences) if not _restates(s.text, told_stems)]
    related = []
    for sentence in reply_sentences:
        words_in = {stem(w) for w in content_words(sentence.text)}
        if (subject & words_in) or (topics and topics & set(topics_in(sentence.text, kb))):
            related.append(sentence.text)
    if YES_NO_ASK.search(ask):
        # a bare "yes" or "you can…" answers this question unless the sentence speaks to the
        # subject of another question the customer asked (and not to this one's)
        echo = _echo_of(ask)
        related += [
            s.text
            for index, s in enumerate(reply_sentences)
            if (
                (index < 3 and YES_NO_ANSWER.match(s.text.lstrip(" -*\n")))
                or (echo and echo.match(YES_NO_LEAD.sub("", s.text.lstrip(" -*\n"), count=1)))
            )
            and not _about_another(s.text, subject, others)
        ]
    kind = next((k for k, pattern in ASK_KIND if pattern.search(ask)), "")
    if kind and not related:
        # the kind of answer asked for (a time, an amount, a place, a reason) is an answer
        # even in other words: "how quickly will someone reply?" / "the target is 2 hours"
        typed = ANSWER_FOR[kind] if kind != "place" else re.compile(r"\w+ ?> ?\w+")
        related += [
            s.text
            for s in reply_sentences
            if typed.search(s.text) and not _about_another(s.text, subject, others)
        ]
    if not subject and not topics:
        related = [s.text for s in reply_sentences]
    answers = [
        t
        for t in related
        if word_count(URL_ONLY.sub(" ", t)) > 3
        and not (URL_ONLY.search(t) and POINTER.search(t))
        and not (
            (EXPLICIT_COMMITMENT.search(t) or PASSIVE_FOLLOW_UP.search(t))
            and not (AMOUNT.search(t) or YES_NO_ANSWER.search(t[:12]))
        )
    ]
    if not answers:
        pointed = any(URL_ONLY.search(t) or POINTER.search(t) for t in related)
        return "link" if pointed else ""
    if kind not in ("amount", "time"):
        return "full"  # a related answer is an answer; its correctness is accuracy's business
    return "full" if ANSWER_FOR[kind].search(" ".join(answers)) else "partial"


def score_completeness(ctx: Context) -> Raw:
    """3 every question answered; 2 all answered, a needed detail missing; 1 one left open or
    answered only by a link; 0 the main request not addressed. A wrong answer still counts."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    message = ctx.message or ctx.thread_text
    reply_sentences = [s for s in sentences(ctx._scored_reply) if s.text.strip()]
    asks = _asks(message)
    if not asks:
        repeated = _repeated_failed_fix(ctx)
        if repeated:
            return Raw(
                1,
                3,
                f"No question was asked; the reply offers what they already tried "
                f"({_quotes(repeated)}).",
            )
        specifics = {stem(s.text.lower()) for s in ra.specifics}
        if len(specifics) >= 2:
            return Raw(
                3,
                3,
                f"No question was asked; the reply responds to what they said "
                f"({_quotes(ra.specifics)}).",
            )
        if (
            ra.specifics
            or _on_topic(ctx._scored_reply, message)
            or any(ra.tone_markers.get(t) for t in ("appreciative", "empathetic"))
        ):
            return Raw(2, 3, "No question was asked; the reply responds only in general terms.")
        return Raw(1, 3, "No question was asked, and the reply does not respond to what they said.")
    told = " ".join(  # what the customer states (has tried, knows), not what they ask
        s.text for s in sentences(message) if "?" not in s.text and not ASK_WORDS.search(s.text)
    )
    answers = [
        _answer_to(
            ask,
            context,
            reply_sentences,
            ctx.kb,
            told=told,
            others=frozenset().union(*(_subject(c, ctx.kb) for a, c in asks if a != ask)),
        )
        for ask, context in asks
    ]
    full = [a for (a, _), x in zip(asks, answers, strict=True) if x == "full"]
    open_ = [a for (a, _), x in zip(asks, answers, strict=True) if x in ("", "link")]
    note = f"Answers {len(full)} of {len(asks)} questions or requests in full."
    if open_:
        note += f" Left open or answered only by a link: {_quote(open_[0])}."
    if not any(x in ("full", "partial") for x in answers):
        if find_irrelevance(ctx._scored_reply, ctx.kb, message):
            return Raw(0, 3, "The reply answers a different question from the one asked.")
        return Raw(
            0 if "link" not in answers else 1, 3, note + " The main request is not addressed."
        )
    if open_:
        return Raw(1, 3, note)
    if len(full) < len(asks):
        return Raw(
            2, 3, note + " Some answers lack the detail asked for (an amount, a time, a place)."
        )
    return Raw(3, 3, note)


CUSTOMER_STEP = regex(
    r"[\w'&-]+(?: [\w'&-]+){0,3} ?> ?[\w'&-]+",  # a menu path: Settings > Billing
    r"(?:you can|you'll need to|you will need to|you need to|just need to|I'd recommend|"
    r"I recommend|I'd suggest|I suggest|the (?:fix|way) is to|try|please|simply|first|then)"
    r",? (?!let us|let me|reach out|contact us|feel free|don't hesitate|know)\w+",
    r"(?:could|can|would) you (?:please )?(?:check|send|confirm|reply|forward|try|open|click|"
    r"share|tell|upload|attach|look)",
    r"(?:go to|open|click|select|choose|navigate to|head to|upgrade|switch|export|import|add|"
    r"remove|update|enable|disable|turn on|turn off|reconnect|connect|cancel|delete|resend|"
    r"copy|paste|verify|authenticate|unschedule|edit|change|set up|install|download)\b"
    r"[^.!?\n]{3,}",
)
EXPLICIT_COMMITMENT = regex(
    r"I(?:'ll| will| am going to|'m going to) (?!be happy|be glad|be here|leave)\w+",
    r"I(?:'ve| have) (?:just |already |now )?(?:started|raised|escalated|issued|applied|"
    r"refunded|credited|reset|restored|fixed|sent|opened|flagged|asked|booked|scheduled|added|"
    r"processed|passed|forwarded|checked|reopened|cancelled|extended)",
    r"I(?:'m| am) (?:now |currently |personally )?(?:taking|looking|checking|working|"
    r"escalating|calling|watching|monitoring|staying)",
)
PASSIVE_FOLLOW_UP = regex(
    r"we(?:'ll| will) (?:be in touch|get back to you|follow up|look into|take a look|let you know|"
    r"update you|reach out)",
    r"(?:our|the) team (?:is|are|will) (?:look|work|investigat)\w*",
    r"as soon as (?:we|I) can",
)
TIMED = regex(
    r"by \d{1,2}(?::\d\d)?\s?(?:am|pm)?",
    r"(?:today|tomorrow|tonight|this (?:morning|afternoon|evening)|within \d+ (?:hours?|minutes?)|"
    r"in the next (?:hour|\d+ (?:hours?|minutes?))|by (?:end of (?:the )?day|monday|tuesday|"
    r"wednesday|thursday|friday))",
)


def _customer_steps(ctx: Context) -> list[Span]:
    """Concrete things the reply asks the customer to do (a link alone is not one)."""
    text = ctx._scored_reply
    spans = [*find_all(CUSTOMER_STEP, text, "next_step"), *ctx.reply_analysis.next_steps]
    return [
        s
        for s in dedupe_overlaps(spans)
        if not _in_vague(s, ctx) and not _points_to_a_link(text, s) and not AGENT_DOES.match(s.text)
    ]


# What the agent did or will do is a commitment, not a step for the customer.
AGENT_DOES = re.compile(
    r"\s*(?:I|we|our team|the team)(?:'ve|'ll|'m| have| will| am| are|'re)?\b(?! (?:can|could|"
    r"recommend|suggest)\b)",
    re.I,
)


def _points_to_a_link(text: str, span: Span) -> bool:
    """A 'step' that only sends the customer to read a page ('you can find it here: URL')."""
    sentence = next((s for s in sentences(text) if s.start <= span.start < s.end + 1), None)
    return bool(
        sentence
        and URL_ONLY.search(sentence.text)
        and not re.search(r"\w+ ?> ?\w+", sentence.text)
        and re.search(
            r"\b(?:find|see|read|visit|check out|look at|refer to|follow)\b", sentence.text, re.I
        )
    )


def _in_vague(span: Span, ctx: Context) -> bool:
    return any(v.start <= span.start < v.end for v in ctx.reply_analysis.vague_next_steps)


def score_next_steps(ctx: Context) -> Raw:
    """3 a concrete step and an explicit commitment; 2 a step with a passive follow-up (or an
    explicit commitment alone); 1 vague only; 0 none. Clarity, not correctness."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    text = ctx._scored_reply
    steps = _customer_steps(ctx)
    explicit = find_all(EXPLICIT_COMMITMENT, text, "commitment")
    explicit += [
        f for f in find_all(PASSIVE_FOLLOW_UP, text, "commitment") if _timed_sentence(text, f)
    ]
    passive = find_all(PASSIVE_FOLLOW_UP, text, "follow_up")
    vague = [*ra.vague_next_steps, *passive]
    evidence = _evidence("reply", steps, "next step") + _evidence("reply", explicit, "commitment")
    if steps and explicit:
        note = f"A concrete step ({_quotes(steps, 1)}) and a commitment ({_quotes(explicit, 1)})."
        return Raw(3, 3, note, evidence)
    if steps:
        note = f"A concrete step ({_quotes(steps, 2)}), but no explicit commitment from us."
        return Raw(2, 3, note, evidence)
    if explicit:
        note = f"We commit to act ({_quotes(explicit, 1)}), but the customer gets no concrete step."
        return Raw(2, 3, note, evidence)
    if vague:
        return Raw(1, 3, f"Only a vague next step ({_quotes(vague, 1)}).", evidence)
    return Raw(0, 3, "No next step for the customer or for us.", evidence)


def _timed_sentence(text: str, span: Span) -> bool:
    sentence = next((s for s in sentences(text) if s.start <= span.start < s.end + 1), None)
    return bool(sentence and TIMED.search(sentence.text))


def score_personalization(ctx: Context) -> Raw:
    """3 name and the specifics of this case; 2 name and their situation in general terms, or
    the specifics without the name; 1 name only; 0 neither."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    named = bool(ra.name_mentions)
    specifics = _case_specifics(ctx)
    situation = _situation_sentences(ctx)
    evidence = _evidence("reply", ra.name_mentions[:1], "name") + _evidence(
        "reply", specifics, "specific"
    )
    if named and specifics:
        points, note = 3, f"Uses their name and the specifics of their case ({_quotes(specifics)})."
    elif named and situation:
        points, note = 2, "Uses their name and speaks to their situation in general terms."
    elif specifics:
        points = 2
        note = f"Uses the specifics of their case ({_quotes(specifics)}) but not their name."
    elif named:
        points, note = 1, "Uses their name only; the rest could be sent to anyone."
    else:
        points, note = 0, "No name and nothing from their message; reads like a template."
    return Raw(points, 3, note, evidence)


NUMBERISH = re.compile(
    r"[$€£]?\d[\d,.:]*(?:\s?(?:am|pm|%|k))?|\b(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|tonight|tomorrow)\b",
    re.I,
)


def _case_specifics(ctx: Context) -> list[Span]:
    """What only this customer's case has, echoed in the reply: their numbers, amounts, times
    and days, and the words of their message the knowledge base does not use (their shop,
    their event, the colleague they named), plus their account context."""
    message = ctx.message or ctx.thread_text
    vocabulary = _kb_vocabulary(ctx.kb)
    wanted_numbers = {m.group(0).lower().strip("$€£.,") for m in NUMBERISH.finditer(message)}
    wanted_words = {
        stem(w)
        for w in content_words(message)
        if len(w) >= 4 and stem(w) not in vocabulary and w not in GENERIC_MESSAGE_WORDS
    }
    found = []
    for match in NUMBERISH.finditer(ctx._scored_reply):
        if match.group(0).lower().strip("$€£.,") in wanted_numbers:
            found.append(Span("specific", match.group(0), match.start(), match.end()))
    for match in re.finditer(r"[A-Za-z][\w'-]+", ctx._scored_reply):
        if stem(match.group(0).lower()) in wanted_words:
            found.append(Span("specific", match.group(0), match.start(), match.end()))
    found += [c for c in _account_context(ctx) if _plan_key_of(c.text) != _plan_key_of(ctx.plan)]
    if ctx.customer_name:
        name_parts = {p.lower() for p in ctx.customer_name.split()}
        found = [f for f in found if f.text.lower() not in name_parts]
    return sorted(dedupe_overlaps(found), key=lambda s: s.start)


GENERIC_MESSAGE_WORDS = frozenset(
    [
        "thanks",
        "thank",
        "please",
        "hello",
        "help",
        "question",
        "really",
        "just",
        "want",
        "need",
        "know",
        "something",
        "anything",
        "everything",
        "someone",
        "today",
        "right",
        "still",
        "actually",
        "again",
        "think",
        "thought",
        "sure",
        "maybe",
        "wondering",
        "trying",
        "quick",
        "sorry",
        "come",
        "coming",
        "questions",
        "issue",
        "issues",
        "problem",
        "problems",
        "reported",
        "yesterday",
        "morning",
        "week",
        "weeks",
        "month",
        "months",
        "hours",
        "urgent",
        "asap",
        "working",
        "work",
        "works",
        "happen",
        "happened",
        "happening",
        "getting",
        "going",
        "make",
        "made",
        "able",
        "without",
        "anyone",
        "nobody",
        "people",
        "thing",
        "things",
        "time",
    ]
)


def _situation_sentences(ctx: Context) -> list[str]:
    """Reply sentences that speak to the customer about their own situation ("your emails are
    going to spam"), not general facts."""
    message = ctx.message or ctx.thread_text
    wanted = {stem(w) for w in content_words(message)} - COMMON_STEMS
    return [
        s.text
        for s in sentences(ctx._scored_reply)
        if re.search(r"\b(?:you|your|you're|you've|you'd|yours)\b", s.text, re.I)
        and wanted & {stem(w) for w in content_words(s.text)}
    ]


def _plan_key_of(text: str | None) -> str:
    return re.sub(r"\s+plan$", "", (text or "").strip().lower())


_VOCABULARY_CACHE: dict[str, frozenset[str]] = {}


def _kb_vocabulary(kb: KnowledgeBase) -> frozenset[str]:
    """Stems of every word the knowledge base uses (its topics, not a customer's case)."""
    key = kb.version or str(id(kb))
    if key not in _VOCABULARY_CACHE:
        text = " ".join(_text(getattr(f, name, "")) for f in kb.facts for name in vars(f))
        _VOCABULARY_CACHE[key] = frozenset(stem(w) for w in content_words(text))
    return _VOCABULARY_CACHE[key]


def _account_context(ctx: Context) -> list[Span]:
    """Mentions of the customer's plan, company, tenure or past tickets."""
    profile = _dict(ctx.scenario.get("profile"))
    phrases = [ctx.plan or "", _text(ctx.customer.get("company"))]
    pattern = phrase_pattern([p for p in phrases if p and len(p) > 2])
    spans = [Span("context", m.group(0), m.start(), m.end()) for m in pattern.finditer(ctx.reply)]
    history = regex(
        r"last (?:time|month|week)",
        r"(?:previous|earlier|past) (?:ticket|reply|message|conversation)",
        r"you(?:'ve| have) (?:been with us|used)",
        r"(?:years|months) with us",
        r"since \d{4}",
        r"(?:your|the) \d+ seats?",
        r"as you mentioned",
        r"you (?:already )?tried",
    )
    if profile or ctx.thread_text:
        spans += [
            Span("context", m.group(0), m.start(), m.end()) for m in history.finditer(ctx.reply)
        ]
    return spans


SCORERS: dict[str, Callable[[Context], Raw]] = {
    "tone_match": score_tone_match,
    "empathy": score_empathy,
    "accuracy": score_accuracy,
    "completeness": score_completeness,
    "next_steps": score_next_steps,
    "personalization": score_personalization,
}
