"""Customer message analysis: emotional state, severity, relationship risk and indicators."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from grading.detectors.learned import state_model, state_model_key
from grading.detectors.sentiment import LinearSentimentAnalyzer, sentiment_analyzer
from grading.detectors.text import Span, dedupe_overlaps, find_all, regex, sentences
from text_analysis import vocabulary

STATES = vocabulary.ids(vocabulary.STATES)
INDICATOR_KINDS = (
    "urgency_words",
    "all_caps",
    "exclamations",
    "multiple_questions",
    "contradictory_requests",
    "positive_language",
)

URGENCY = regex(
    r"urgent(?:ly)?",
    r"asap",
    r"as soon as (?:possible|you can)",
    r"immediately",
    r"right (?:now|away)",
    r"(?:need|needs|needed) (?:this|it|help|them)? ?(?:fixed |sorted |resolved |done )?"
    r"(?:now|today|tonight)",
    r"emergency",
    r"critical",
    r"time[- ]sensitive",
    r"deadline",
    r"(?:by|before) (?:end of (?:the )?day|eod|noon|tonight|tomorrow|close of business|"
    r"monday|tuesday|wednesday|thursday|friday|\d{1,2}(?::\d\d)? ?(?:am|pm))",
    r"(?:due|closes|starts|runs|goes out|expires?) (?:today|tonight|tomorrow|"
    r"in (?:an?|one|two|\d+) (?:minutes?|hours?))",
    r"within (?:the next )?(?:an?|one|two|\d+) (?:minutes?|hours?)",
    r"in (?:an?|one|two|\d+) (?:minutes?|hours?)",
    r"(?:can't|cannot|can not) wait",
    r"blocking",
    r"blocked",
    r"losing (?:money|customers|clients|sales|revenue)",
    r"quickly",
    r"hurry",
    r"no time",
    r"running out of time",
    (
        r"(?:site|app|system|server|account|payments?|it|everything|sync) (?:is|are|"
        r"went|has gone) down"
    ),
    r"today",
    r"tonight",
    r"this week",
    r"cut-?off",
    r"locked out",
)
FRUSTRATION = regex(
    r"again",
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time",
    r"(?:two|three|four|five|several|many|multiple) times",
    r"still (?:not|isn't|hasn't|doesn't|can't|broken|waiting|no)",
    r"nothing (?:has|was|is) (?:been )?(?:fixed|done|resolved|changed)",
    r"(?:nobody|no one|no-one) (?:has|is|will|seems)",
    r"(?:nobody|no one) (?:asked|told|warned|said|replied|answered|bothered)",
    r"ridiculous",
    r"unacceptable",
    r"(?:waste|wasting|wasted) (?:of )?(?:my )?(?:time|money)",
    r"fed up",
    r"sick (?:and tired )?of",
    r"tired of",
    r"keeps? (?:happening|failing|breaking|crashing)",
    r"every (?:single )?time",
    r"seriously",
    r"how many (?:more )?times",
    r"useless",
    r"terrible",
    r"awful",
    r"frustrat\w*",
    r"annoy\w*",
    r"angry",
    r"furious",
    r"disappoint\w*",
    r"fix (?:this|it)",
    r"(?:cancel|leave|switch|move) (?:my|our|the)? ?(?:account|subscription|plan|provider|to)",
    r"not good enough",
    r"(?:no|zero) (?:response|reply|help)",
    r"who approved",
    r"throw (?:money )?away",
    r"(?:broke|broken|breaking|failed|stopped) again",
    r"actually (?:meant|means|fixed|works?)",
    r"is anyone (?:actually )?(?:reading|listening)",
    r"can't keep",
)
REPEATED = regex(
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time",
    r"(?:three|four|five|several|many|multiple) times",
)
CONFUSION = regex(
    r"confus\w*",
    r"(?:don't|do not|doesn't|does not|didn't) (?:understand|get it|make sense)",
    r"makes? no sense",
    r"not sure",
    r"unclear",
    r"lost",
    r"no idea",
    r"(?:how|where|what|which) (?:do|does|did|can|should|is|are) (?:i|we|this|that|it)",
    r"what does .{1,40} mean",
    r"i thought",
    r"supposed to",
    r"which (?:one|option|plan)",
    r"can (?:you|someone) explain",
    r"explain",
    r"puzzled",
    r"baffled",
    r"wondering",
    r"(?:can't|cannot|couldn't|can not) (?:find|see|figure out|work out)",
    r"I'm new",
    r"new (?:at|to) (?:all )?this",
    r"(?:my )?first (?:time|invoice|week)",
    r"or not(?=\?)",
    r"(?:does|did) (?:that|this|it) mean",
    r"is (?:this|that|it) (?:a mistake|right|correct|normal|expected)",
    r"not my strong (?:point|suit)",
    r"(?:do|will|would|should) I (?:get|need|have)",
    r"what's the difference",
    r"difference between",
)
# Words of pleasure, shared by the indicator list and the purpose cues (PRAISE adds more).
POSITIVE_WORDS = (
    r"(?:really |truly )?appreciat\w*",
    r"lov(?:e|es|ed|ing|ely)",
    r"great",
    r"excellent",
    r"amazing",
    r"fantastic",
    r"awesome",
    r"perfect(?:ly)?",
    r"brilliant",
    r"wonderful",
    r"happy",
    r"delighted",
    r"pleased",
    r"impressed",
    r"well done",
    r"helpful",
    r"recommend",
)
SATISFACTION = regex(
    r"thank(?:s| you)(?: so much| very much| a lot)?(?! for nothing)",
    *POSITIVE_WORDS,
    r"works? (?:great|perfectly|well|like a charm)",
    r"(?:more )?professional",
)
PROBLEM = regex(
    r"error\w*",
    r"fail\w*",
    r"declin\w*",
    r"rejected",
    r"charged",
    r"broken",
    r"(?:can't|cannot|can not|unable to|won't|doesn't|does not|isn't|not) "
    r"(?:work|load|log|send|open|find|see|access|save|sync)\w*",
    r"issue",
    r"problem",
    r"wrong",
    r"overcharged",
    r"missing",
    r"stuck",
    r"crash\w*",
    r"bug",
    r"lost",
    r"breaking",
)
SARCASM = re.compile(
    r"\b(?:thanks?(?: you)?(?: (?:a lot|so much|very much))? for (?:nothing|wasting|the runaround|"
    r"making|breaking|absolutely nothing|ignoring)"
    r"|(?:oh|just|yeah),? (?:great|perfect|wonderful|fantastic|brilliant)"
    r"|great,? (?:just|another|now)"
    r"|(?:really|very|so|super) helpful[.!]* ?(?:not|/s)"
    r"|love (?:how|that|it when) .{0,60}\b(?:again|still|never|nobody|no one|broke|break|fails?)"
    r"|what a (?:joke|surprise)"
    r"|big surprise"
    r"|wow,? (?:thanks|great|just)"
    r"|clearly (?:nobody|no one)"
    r"|i guess that's too much to ask"
    r"|(?:so|well|oh|and),? (?:that's|that is|this is) (?:just )?(?:great|perfect|wonderful|"
    r"fantastic|brilliant|lovely|awesome)"
    r"|(?:I'd|I would) love to know (?:what|why|how|who)[^.!?]*"
    r"|a whole (?:two|three|four|\d+) (?:days|hours|minutes|weeks)"
    r")|(?<=[.!] )really\.",
    re.IGNORECASE,
)
CHURN = regex(
    r"cancel\w*",
    r"switch\w* (?:to|provider)",
    r"competitor",
    r"(?:leave|leaving|move|moving) (?:you|to \w+)",
    r"lawyer",
    r"legal action",
    r"chargeback",
    r"dispute",
    r"bad review",
    r"(?:one|1)[- ]star",
    r"report (?:you|this)",
    r"last chance",
    r"final warning",
    r"take (?:our|my) business elsewhere",
    r"close (?:my|our) account",
)
IMPACT = regex(
    r"payroll",
    r"losing",
    r"money",
    r"tax return",
    r"my (?:clients|customers) (?:are|will|can't)",
    r"audit",
    r"month[- ]end",
    r"year[- ]end",
    r"boss",
    r"whole team",
    r"all (?:our|my) (?:invoices|users|staff)",
    r"(?:project|launch|contract) (?:start|deadline|date)",
)
CONTRADICTORY = [
    (
        regex(r"cancel\w*", r"close", r"downgrad\w*", r"stop"),
        regex(
            r"still need",
            r"need to (?:send|keep|access|finish)",
            r"(?:don't|do not) (?:touch|delete|lose)",
            r"keep (?:my|our|all|access)",
            r"keep using",
            r"continue\w*",
            r"still (?:use|have|access)",
            r"retain",
            r"without losing",
        ),
    ),
    (
        regex(r"refund\w*", r"delete"),
        regex(r"keep\w*", r"continue\w*", r"still (?:use|have|access)", r"don't lose"),
    ),
    (
        regex(r"(?:right )?now", r"immediately", r"asap", r"quickly"),
        regex(
            r"(?:don't|do not|without) (?:change|touch|mess|restart|interrupt)\w*", r"no downtime"
        ),
    ),
    (
        regex(r"cheaper", r"lower (?:price|cost)", r"pay less", r"downgrad\w*"),
        regex(r"(?:all|more|every|keep\w*) (?:the )?features?", r"upgrad\w*", r"more seats"),
    ),
]
ACRONYMS = frozenset(
    [
        "I",
        "A",
        "OK",
        "PDF",
        "CSV",
        "API",
        "VAT",
        "USD",
        "EUR",
        "GBP",
        "ID",
        "SSO",
        "CEO",
        "CFO",
        "CTO",
        "EU",
        "UK",
        "US",
        "USA",
        "HR",
        "IT",
        "FAQ",
        "URL",
        "CSAT",
        "QA",
        "EOD",
        "ASAP",
        "AM",
        "PM",
        "PS",
        "FYI",
        "BTW",
        "TV",
        "UI",
        "UX",
        "IP",
        "SMS",
        "SSL",
        "DNS",
        "ACH",
        "IBAN",
        "SWIFT",
        "POS",
        "ERP",
        "CRM",
        "QB",
        "XLS",
        "XLSX",
        "TLS",
        "HTTP",
        "HTTPS",
        "JSON",
        "XML",
        "SQL",
        "AWS",
        "LLC",
        "INC",
        "LTD",
        "GST",
        "HST",
        "PST",
        "EST",
        "CET",
        "UTC",
        "GMT",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "MFA",
        "2FA",
        "SAML",
        "INV",
        "ACS",
        "IDP",
        "SMS",
        "QBO",
        "PIN",
        "OTP",
        "NET",
        "EUR",
        "CAD",
        "AUD",
    ]
)
CAPS_RUN = re.compile(r"\b[A-Z][A-Z'’]+[A-Z]\b(?:[\s,]+\b[A-Z][A-Z'’]*[A-Z]\b)*|\b[A-Z]{2}\b")  # noqa: RUF001
EXCLAMATION_RUN = re.compile(r"[!?]*![!?1]*")
# A question starts where a sentence does: anchored so that a long run without any
# terminator is scanned once, not once from every character (quadratic on 100 KB).
QUESTION = re.compile(r"(?<![^.!?\n])[^.!?\n]*\?+")
CLAUSE_BREAK = re.compile(r"[.;!?\n]|,\s|\bbut\b", re.IGNORECASE)


@dataclass(frozen=True)
class MessageAnalysis:
    """What the message detector found in one customer message."""

    state: str
    secondary_state: str | None
    severity: int
    relationship_risk: str
    indicators: tuple[Span, ...]
    scores: dict[str, float]
    sentiment: float
    sarcasm: tuple[Span, ...] = ()

    def indicators_of(self, kind: str) -> list[Span]:
        return [i for i in self.indicators if i.kind == kind]

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "secondary_state": self.secondary_state,
            "severity": self.severity,
            "relationship_risk": self.relationship_risk,
            "indicators": [
                {"kind": i.kind, "text": i.text, "start": i.start, "end": i.end}
                for i in self.indicators
            ],
        }


def _vader() -> LinearSentimentAnalyzer:
    return sentiment_analyzer()


def sentiment_lexicon() -> dict[str, float]:
    """Words that carry sentiment (VADER's lexicon), lower-cased."""
    return _vader().lexicon


def sentiment_compound(text: str) -> float:
    """VADER compound polarity in [-1, 1] (0 for empty text)."""
    return _vader().polarity_scores(text)["compound"] if text and text.strip() else 0.0


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


def find_caps(text: str) -> list[Span]:
    """Shouted words: runs of capitalised words that are not common acronyms."""
    found = []
    for match in CAPS_RUN.finditer(text):
        tokens = re.findall(r"[A-Z'’]+", match.group(0))  # noqa: RUF001
        shouted = [t for t in tokens if t.replace("’", "'") not in ACRONYMS and len(t) >= 2]  # noqa: RUF001
        if not shouted or (len(tokens) == 1 and len(shouted[0]) < 3):
            continue
        found.append(Span("all_caps", match.group(0), match.start(), match.end()))
    return found


def find_exclamations(text: str) -> list[Span]:
    """Each sentence that ends in (or contains) a run of exclamation marks."""
    found = []
    for sentence in sentences(text):
        if "!" in sentence.text:
            found.append(Span("exclamations", sentence.text, sentence.start, sentence.end))
    return found


def exclamation_count(text: str) -> int:
    return sum(m.group(0).count("!") for m in EXCLAMATION_RUN.finditer(text))


def find_questions(text: str) -> list[Span]:
    """The stretch of questions, when the message asks more than one."""
    questions = [m for m in QUESTION.finditer(text) if m.group(0).strip("? \n")]
    if len(questions) < 2:
        return []
    first, last = questions[0], questions[-1]
    start = first.start() + len(first.group(0)) - len(first.group(0).lstrip())
    return [Span("multiple_questions", text[start : last.end()], start, last.end())]


def _clause(text: str, position: int) -> tuple[int, int]:
    start = max((m.end() for m in CLAUSE_BREAK.finditer(text, 0, position)), default=0)
    end_match = CLAUSE_BREAK.search(text, position)
    end = end_match.start() if end_match else len(text)
    while start < end and text[start].isspace():
        start += 1
    return start, end


def find_contradictions(text: str) -> list[Span]:
    """The two clauses of a request that pulls against itself (cancel now / keep my data)."""
    found: list[Span] = []
    parts = sentences(text)
    windows = [(s.start, s.end) for s in parts]
    windows += [(a.start, b.end) for a, b in itertools.pairwise(parts)]
    for start, end in windows:
        chunk = text[start:end]
        for first, second in CONTRADICTORY:
            a, b = first.search(chunk), second.search(chunk)
            if a and b and not (a.start() <= b.start() < a.end()):
                for hit in (a, b):
                    c_start, c_end = _clause(text, start + hit.start())
                    found.append(
                        Span("contradictory_requests", text[c_start:c_end], c_start, c_end)
                    )
                break
        if found:
            break
    return dedupe_overlaps(found)


def find_positive(text: str, sarcasm: list[Span]) -> list[Span]:
    """Positive words and phrases (sarcastic ones included: they are still the cue)."""
    spans = [s for s in find_all(SATISFACTION, text, "positive_language") if not _negated(text, s)]
    spans += [Span("positive_language", s.text, s.start, s.end) for s in sarcasm]
    return spans


def _negated(text: str, span: Span) -> bool:
    before = text[max(0, span.start - 12) : span.start].lower()
    return bool(re.search(r"\b(?:not|no|never|isn't|wasn't|hardly)\s+(?:\w+\s+)?$", before))


def _sincere(span: Span, sarcasm: list[Span]) -> bool:
    return not any(
        x.start - 5 <= span.start < x.end + 40 or x.start - 60 <= span.start < x.start
        for x in sarcasm
    )


def find_indicators(text: str) -> tuple[list[Span], list[Span]]:
    """All indicators in message order, and the sarcastic remarks found along the way."""
    sarcasm = find_all(SARCASM, text, "sarcasm")
    spans = [
        *find_all(URGENCY, text, "urgency_words"),
        *find_caps(text),
        *find_exclamations(text),
        *find_questions(text),
        *find_contradictions(text),
        *find_positive(text, sarcasm),
    ]
    return dedupe_overlaps(spans), sarcasm


def state_scores(text: str, indicators: list[Span], sarcasm: list[Span], compound: float) -> dict:
    """A score per state from rules plus VADER polarity; the largest wins."""
    kinds = [i.kind for i in indicators]
    caps, bangs = kinds.count("all_caps"), exclamation_count(text)
    problem, confusion = _count(PROBLEM, text), _count(CONFUSION, text)
    negativity = max(0.0, -compound)
    sincere = [i for i in indicators if i.kind == "positive_language" and _sincere(i, sarcasm)]
    urgent = 2.0 * kinds.count("urgency_words") + (
        1.0 if problem and "urgency_words" in kinds else 0
    )
    frustrated = 1.5 * _count(FRUSTRATION, text) + 2.5 * len(sarcasm) + 0.8 * caps
    frustrated += 0.5 * min(bangs, 4) * (0.3 if confusion else 1.0)
    frustrated += negativity * (1.0 if confusion else 2.0) + (0.5 if problem and frustrated else 0)
    confused = 1.5 * confusion + 0.7 * kinds.count("multiple_questions")
    confused += 1.0 * len(re.findall(r"\?!|!\?", text))
    confused += 0.5 * kinds.count("contradictory_requests")
    satisfied = 1.2 * len(sincere) + max(0.0, compound) * 1.5 - 1.5 * problem
    satisfied -= 2.0 * len(sarcasm) + 1.0 * kinds.count("urgency_words")
    scores = {"urgent": urgent, "frustrated": frustrated, "confused": confused}
    scores["satisfied"] = max(0.0, satisfied)
    return {k: round(v, 3) for k, v in scores.items()}


def pick_states(scores: dict[str, float]) -> tuple[str, str | None]:
    ranked = sorted(STATES, key=lambda s: (-scores[s], STATES.index(s)))
    primary, runner_up = ranked[0], ranked[1]
    if scores[primary] <= 0:
        return "confused", None
    secondary = runner_up if scores[runner_up] >= max(1.5, 0.5 * scores[primary]) else None
    if "satisfied" in (primary, runner_up) and secondary:
        secondary = None  # satisfied mixed with a problem state reads as politeness, not a state
    return primary, secondary


# ---- what the message is mainly for ----------------------------------------------------
# Surface cues (capitals, exclamation marks, the word "urgent", polite thanks) say how loud
# a message is, not what it is for. The state is decided by its purpose: a real deadline or
# damage running now (urgent), a grievance (frustrated), a question about how something
# works (confused), praise with no grievance (satisfied). Loudness only sets severity.

QUOTED = re.compile(
    r"(?<![\w'\u2019])(['\"\u2018\u201c])([^'\"\u2018\u2019\u201c\u201d\n]{1,80})"
    r"(?:['\"\u2019\u201d])(?![\w'\u2019])"
)
_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight)"
IMMINENT = regex(
    r"(?:by|before|until|due|for|later|goes out|going out|sends?|launch\w*"
    r"|(?:need|needs|needed|must|has to|have to)\b[^.!?\n]{0,70}) today",
    r"(?:booked|scheduled|appointments?|patients|clients|classes|orders?|sessions?) "
    r"(?:\w+ ){0,2}today",
    r"today at",
    r"today is (?:the )?(?:\d+(?:st|nd|rd|th)?|last|final|deadline|payday|cut-?off)",
    r"(?:payday|pay day|due date|deadline|cut-?off)(?: date)? (?:is|was) today",
    r"(?:it's|it is) (?:\d{1,2}(?::\d\d)? ?(?:am|pm)|\w+day (?:afternoon|morning|evening|night))",
    r"(?:expect\w*|due|need\w*|supposed) (?:to (?:be )?\w+ )?(?:on |by )?"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"if (?:this|it|the \w+(?: \w+)?) (?:doesn't|does not|isn't|won't)[^.!?\n]{0,60}"
    r"\b(?:won't|will not)",
    r"(?:the )?day before (?:the |a )?(?:bank )?holiday",
    r"(?:waiting|stuck|standing) (?:at|outside) the (?:door|counter|desk)",
    r"out of compliance",
    r"already (?:late|overdue|past due)",
    r"(?:fix|sort|resolve|restore|reply|respond|answer|call)\w* (?:\w+ ){0,3}today",
    r"(?:in|within) (?:a|one|two|three|\d) days?",
    r"this (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)",
    r"today's",
    r"tonight",
    r"tomorrow",
    r"(?:by|before|until|later|for) this (?:morning|afternoon|evening)",
    r"(?:in|within) (?:the next )?(?:like |about |around |roughly |under |less than )?"
    r"(?:an?|one|two|three|few|\d+|\d+-\d+) ?"
    r"(?:min(?:ute)?s?|hours?|hrs?|h)\b",
    r"\d+ ?(?:min(?:ute)?s?|hours?|hrs?|h) (?:ago|from now|left|away)",
    r"(?:at|by|before|until|from) \d{1,2}(?::\d\d)? ?(?:am|pm|o'?clock)?"
    r"(?! ?(?:%|days|weeks|months|"
    r"years|seats|per|clients|people|contacts))",
    r"\d{1,2}(?::\d\d)? ?(?:am|pm)",
    r"noon",
    r"end of (?:the )?day",
    r"eod",
    r"close of business",
    r"right away",
    r"as we speak",
    r"(?:every|each) (?:hour|minute)",
    r"expir\w*",
    r"deadline",
    r"cut-?off",
    r"(?:scheduled|set|due|booked|planned) (?:for|to (?:go|send|launch))",
    rf"(?:starts?|opens?|begins?|launch(?:es)?|arrive|arriving|goes|go) "
    rf"(?:on |this )?{_DAY}",
    r"(?:starts?|opens?|begins?|arriv\w+|due|coming|booked) (?:in|at) \d",
    r"before (?:the |our |my )?(?:launch|send|sale|event|webinar|meeting|morning|weekend|opening)",
    r"no (?:new )?(?:bookings|orders|sales|signups|payments) (?:since|for|at all)",
    r"still (?:going out|sending|charging|running)",
    r"(?:stop|recall|cancel|pause|halt|block) (?:\w+ ){0,3}(?:now|immediately|before|right)",
    r"(?:stop|recall|pause|halt) (?:it|this|them|the \w+)",
    r"right now",
    r"(?:pls|please|asap)[^.!?\n]{0,30}\bnow\b",
)
# Sentences that report a past promise, a policy or a past event: their times are not a deadline.
REPORTED = regex(
    r"(?:it's|it is) only",
    r"weeks away",
    r"get ahead",
    r"plenty of time",
    r"promised",
    r"(?:was|were) told",
    r"said (?:it|they|you|we)",
    r"policy says",
    r"(?:it is|it's) now",
    r"between",
    r"last (?:week|month|night|year)",
    r"(?:on|since|from) (?:the )?\d{1,2}(?:st|nd|rd|th)",
    r"yesterday",
)
STRONG_WORDS = regex(
    r"unacceptable",
    r"ridiculous",
    r"useless",
    r"terrible",
    r"awful",
    r"furious",
    r"angry",
    r"fed up",
    r"sick of",
    r"disgusted",
    r"outrageous",
    r"worst",
)
LOOSE_URGENCY = regex(
    r"urgent\w*",
    r"asap",
    r"immediately",
    r"as soon as (?:possible|you can)",
    r"emergency",
    r"time[- ]sensitive",
    r"critical",
)
_LEAVE = r"(?:be )?(?:cancel\w*|leav\w*|mov\w*|switch\w*|tak\w*|tak\w* (?:my|our) business|go\w*)"
ULTIMATUM = regex(
    rf"(?:by|before|until) [^.!?\n]{{1,40}}\bor (?:we|I)(?:'ll|'m| will| am)? {_LEAVE}",
    rf"(?:fix|sort|resolve|restore|refund)[^.!?\n]{{0,40}}\bor (?:we|I)(?:'ll|'m| will| am)? "
    rf"{_LEAVE}",
    rf"if [^.!?\n]{{1,80}}\b(?:by|before) [^.!?\n]{{1,60}}\b(?:I|we)(?:'ll|'m|'re| will| am| are)? "
    rf"{_LEAVE}",
    r"last chance",
    r"final warning",
)
GRIEVANCE = regex(
    r"again",
    r"(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) (?:time|ticket|email|message|request|"
    r"call|chat)",
    r"(?:two|three|four|five|several|many|multiple|\d+) (?:times|tickets|emails|messages|calls)",
    r"(?:twice|three times) (?:already|now)",
    r"already (?:told|asked|reported|explained|contacted|emailed|wrote|sent|tried)",
    r"asked (?:twice|three times|again)",
    r"in a row",
    r"still (?:not|no|isn't|hasn't|doesn't|can't|waiting|broken|nothing)",
    r"(?:was|were|been) (?:promised|told|assured)",
    r"(?<!exactly as )(?<!just as )promised",
    r"nothing\.",
    r"(?:no|zero|without any?) (?:answers?|replies|reply|response|update|callback|call back|"
    r"heads[- ]up|notice|warning)",
    r"(?:nobody|no one|no-one|no human|no person|nobody) (?:has |have )?(?:actually )?(?:answered|"
    r"replied|responded|called|got back|helped|bothered|told)",
    r"(?:it's|it has|it's been|has been|have been|been) (?:\d+|two|three|four|five|six|ten|several|"
    r"many) (?:days|weeks|months)",
    r"(?:it is|it's) now",
    r"for (?:\d+ |two |three |four |five |ten |several )?(?:days|weeks|months)(?: now)?",
    r"lost (?:\w+ ){0,3}(?:bookings|sales|orders|customers|clients|money|revenue|data|contacts|"
    r"signups|subscribers|\d+)",
    r"(?:cost|costing) (?:us|me)",
    r"wast(?:ed|ing|e of) (?:my |our )?(?:time|money|morning|day|afternoon)",
    r"(?:been|was|were|got|being) overcharged",
    r"overcharged (?:me|us)",
    r"(?:charged|billed) (?:me |us )?(?:twice|double|again|for both|both)",
    r"double[- ]charge\w*",
    r"(?:charged|billed) (?:me |us )?for [^.!?\n]{1,40} when (?:I|we)",
    r"(?:please |want a |like a )?refund (?:the|my|me|us|it)",
    r"compensation",
    r"gutted",
    r"let (?:me|us) down",
    r"(?:it )?turns? out",
    r"(?:now )?(?:I|we) (?:find|found) out",
    r"mislead\w*|misled",
    r"expected (?:better|more)",
    r"feels? (?:a bit |so |really |very )?(?:cheap|unfair|wrong|like a bait)",
    r"after all (?:this|that|these) (?:time|years)",
    r"(?:days|weeks|months) after (?:I|we) (?:reported|asked|raised|told|flagged)",
    r"not even surprised",
    r"still (?:say|says|show|shows|happen\w*|there|wrong|the same)",
    r"told (?:me|us) to (?:contact|email|call|ask|write)",
    r"(?:passed|bounced|sent) (?:around|back and forth)",
    r"complain\w*",
    r"unacceptable",
    r"ridiculous",
    r"useless",
    r"terrible",
    r"awful",
    r"worse",
    r"disappoint\w*",
    r"frustrat\w*",
    r"annoy\w*",
    r"angry",
    r"furious",
    r"fed up",
    r"sick of",
    r"tired of",
    r"(?:look\w* at|try\w*|going to|move to|moving to|switch\w* to|consider\w*|go to) "
    r"(?:other|another|a different|a new) (?:providers?|tools?|platforms?|services?|systems?)",
    r"competitor",
    r"cancel(?:ling|ing)? (?:my|our|the) (?:account|subscription|plan)",
    r"(?:move|moving|switch\w*) (?:my|our|the) (?:list|account|business|salon|clinic|shop|store)",
    r"(?:your|the) (?:fault|mistake)",
    r"data protection",
    r"lawyer",
    r"chargeback",
    r"(?:keeps?|kept) (?:failing|breaking|crashing|happening|sending|going out|duplicating|"
    r"disconnecting|freezing|timing out|dropping|"
    r"doing (?!what)|"
    r"asking|charging|bouncing|logging|reappearing|disappearing|deleting|dropping|losing|"
    r"showing)",
    r"every (?:single )?time",
    r"(?:broke|broken|failed|stopped) again",
    r"how many (?:more )?times",
    r"is anyone (?:actually )?(?:reading|listening)",
    r"(?:patient|patience) for",
    r"(?:never|didn't|did not) (?:got|get|received?|arrived?|heard)",
    r"not fixed",
    r"(?:that's|that is|this is|it's|it is) not (?:okay|ok|acceptable|good enough|fair)",
    r"(?:price|prices|bill|invoice) (?:went up|increased|jumped|doubled)",
    r"(?:got|received|sent) (?:a|an|another) (?:bill|charge|invoice) for",
    r"apparently",
    r"(?:charged|paid) (?:\w+ )?(?:overdraft|late|bank) fees?",
    r"reimburs\w*",
    r"(?:the )?worst",
    r"on hold for",
    r"what am I (?:even )?paying (?:\w+ )?for",
    r"how hard can it be",
    r"every other \w+",
    r"is there (?:a|any) human",
    r"(?:two|three|four|five|\d+) different (?:people|agents|staff)",
    r"used to be (?:brilliant|great|good|better|fast)",
    r"these days",
    r"I miss",
    r"no thanks to",
    r"(?:have )?since (?:charged|billed)",
    r"(?:full )?refund of",
    r"privacy",
)
STRONG_GRIEVANCE = regex(  # counted on top of GRIEVANCE: one of these is a grievance alone
    r"again",
    r"(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) (?:time|ticket|email|message|request)",
    r"in a row",
    r"every (?:single )?time",
    r"unacceptable",
    r"ridiculous",
    r"useless",
    r"terrible",
    r"awful",
    r"fed up",
    r"sick of",
    r"tired of",
    r"furious",
    r"angry",
    r"how many (?:more )?times",
    r"already (?:told|asked|reported|explained)",
    r"(?:had |got |received )?(?:no|zero) (?:response|reply|answer|callback)",
    r"(?:nobody|no one|no-one|no human) (?:has |have )?(?:actually )?(?:answered|replied|responded|"
    r"called|got back)",
    r"(?:it is|it's) now",
    r"not fixed",
    r"(?<!exactly as )(?<!just as )promised",
    r"told (?:me|us) to (?:contact|email|call|ask|write)",
    r"misled|misleading",
    r"no thanks to",
    r"how hard can it be",
)
FAILURE = regex(
    r"error\w*",
    r"fail\w*",
    r"broke\w*",
    r"blocked",
    r"bounc\w*",
    r"(?:stopped|stops|won't|doesn't|does not|isn't|didn't|not|aren't|never) "
    r"(?:work|firing|fire|send|"
    r"sending|load|arrive|arrived|appear|showing|show|sync)\w*",
    r"wrong",
    r"missing",
    r"lost (?:\w+ ){0,3}(?:bookings|sales|orders|customers|clients|money|revenue|data|contacts|"
    r"signups|subscribers|\d+)",
    r"(?:is|are|was|went|goes|has gone|been) down\b(?! by| to)",
    r"\w+ (?:is |are )?(?:down|offline)(?! by| to| the| a | on)",
    r"(?:suspended|paused|disabled|deactivated|frozen|stuck)",
    r"(?:can't|cannot|can not|unable to) "
    r"(?:see|open|log|access|send|get|check|use|find|load|book)\w*",
    r"(?:haven't|hasn't|have not|has not) (?:gone out|been sent|arrived|sent|synced|worked)",
    r"something went wrong",
    r"(?:won't|wont) (?!be\b)\w+",
    r"doesn't do anything",
    r"(?:throwing|throws) (?:an? )?\w+",
    r"(?:can't|cannot|can not|unable to) (?!fault|wait|thank|believe|recommend|praise)\w+",
    r"(?:still|currently) (?:has|have|messaging|sending|charging|showing|emailing)",
    r"(?:a|one|two|\d+) days? late",
    r"(?:doesn't|don't|does not) exist",
    r"logged (?:me |us |them )?out",
    r"greyed out|grayed out",
    r"(?:just )?spins",
    r"(?:never|didn't|did not|hasn't|haven't|have not|has not) (?:landed|arrived|been (?:paid|sent|"
    r"filed|processed))",
    r"declined",
    r"reset (?:\w+ ){0,3}to zero",
    r"(?:deducted|charged|paid|sent) (?:\w+ ){0,2}twice",
    r"(?:went|sent|paid) to the wrong",
    r"take a nap",
    r"had to (?:get|file|do|pay)",
    r"blank (?:white )?(?:page|screen)",
    r"locked out",
    r"zero (?:contacts|bookings|orders)",
    r"nothing (?:arrived|happened|went|sent|shows?)",
    r"(?:takes|took) \d+ (?:hours|days)",
    r"(?:charged|charging|billed) (?:\w+ ){0,3}(?:twice|double)",
    r"double[- ]charg\w*",
)
RESOLVED = regex(
    r"came through",
    r"(?:is|was|got|been|it's) (?:now )?(?:fixed|sorted|resolved)",
    r"(?:hasn't|has not|haven't|have not) happened since",
    r"working (?:again|perfectly|great|fine) (?:now)?",
    r"until it was (?:fixed|sorted|resolved)",
    r"all sorted",
    r"back (?:up|to normal)",
    r"(?:now|finally) (?:works?|fires|working)",
    r"(?:you|you guys|your team|they|someone) (?:\w+ )?(?:fixed|sorted|solved|resolved|cleared)",
    r"(?:had|got) it (?:cleared|fixed|sorted|resolved)",
    r"(?:was|were|got) paid on time",
    r"closing the loop",
    r"(?:the )?(?:fix|it|that) worked",
    r"(?:I'm|we're|I am|we are) staying",
    r"fixed it",
    r"sorted it",
)
PRAISE_BY_CONTRAST = regex(
    r"(?:annoyed|sad|kicking myself|wish) (?:that )?I didn't (?:switch|move|join|start)",
    r"(?:should|could) have (?:switched|moved|joined|started) (?:sooner|earlier)",
    r"(?:you've|you have) spoiled",
    r"spoiled me",
    r"(?:I )?hate to admit",
    r"joking aside|only joking|just kidding",
    r"changed my mind",
    r"(?:ridiculous|crazy|insane|absurd|silly) how (?:fast|quick|easy|good|well|smooth)",
    r"one complaint: I (?:now )?(?:have nothing|don't have)",
    r"nothing left (?:for \w+ )?to (?:fix|do)",
    r"ruined (?:me|us) for",
    r"(?:dangerously|almost too|suspiciously) (?:easy|good|simple)",
    r"where things just work",
    r"take back (?:everything|what) I said",
    r"painless",
)
PRAISE = regex(
    *POSITIVE_WORDS,
    r"thank(?:s| you)",
    r"cheers",
    r"legends?",
    r"(?:the )?best(?! regards| wishes| way| practice)",
    r"(?:it )?work(?:s|ed)(?: great| perfectly| well| like a charm)?!",
    r"finally (?:works|fires|working)",
    r"kudos",
    r"(?:doubled|tripled|record)",
    r"celebrat\w*",
    r"saved (?:me|us)",
    r"saved (?:enough|money|time|hours)",
    r"deserve",
    r"game[- ]?changer",
    r"above and beyond",
    r"gorgeous",
    r"compliment\w*",
    r"can't fault",
    r"(?:so|really|very) (?:glad|grateful)",
    r"keep doing what",
    r"renewed",
    r"staying",
    r"spotless",
    r"impressive",
    r"superb",
    r"outstanding",
    r"terrific",
    r"incredible",
    r"omg",
    r"(?:didn't|did not|don't) have to (?:print|do|chase|worry|call|type)",
    r"(?:on|in) time",
    r"grateful",
    r"because of (?:you|that|your team)",
    r"well done",
    r"(?:5|five)[- ]star",
    r"(?:exactly|just) as promised",
    r"like a (?:champ|charm|dream)",
    r"glad (?:we|I) (?:switched|moved|signed up|joined)",
    r"night and day",
    r"(?:actually|really) listened",
)
COURTESY = regex(
    r"I (?:should|would|will) be (?:most |very )?grateful (?:if|for)",
    r"(?:yours )?(?:faithfully|sincerely)",
    r"thanks? (?:in advance|anyway|for (?:looking|your help|reading|checking|any help))",
    r"thank you (?:in advance|for (?:looking|your help|reading|checking|any help))",
    r"kind regards",
    r"best regards",
    r"many thanks",
    r"thanks\.?$",
    r"cheers,?$",
    r"appreciate (?:any|your) help",
    r"sorry (?:to bother|for (?:my|the) english)",
)
CONFUSION_CUES = regex(
    r"is there (?:a|any) way",
    r"clarify",
    r"(?:don't|do not|doesn't) (?:understand|get|know)",
    r"not sure",
    r"confus\w*",
    r"(?:a bit |bit |totally |completely )?lost (?:with|on|about)",
    r"(?:try|trying) to understand",
    r"no idea",
    r"(?:what's|what is) the difference",
    r"(?:can|could) (?:you|someone) explain",
    r"i thought",
    r"wondering",
    r"or (?:is|does|do|will|should)",
)
REQUEST = regex(
    r"(?:please|pls|can you|could you|could someone|can someone|help|have a look|take a look|"
    r"anything you can do|call me|fast)",
)
CONFUSION_STATEMENT = regex(
    r"(?:don't|do not|still don't|doesn't) (?:get|understand)",
    r"(?:just )?(?:trying|want|wanted) to understand",
    r"not complaining",
    r"am I doing something wrong",
    r"makes? no sense to me",
    r"I'm (?:a bit |so |really )?(?:confused|lost)",
    r"I'm new (?:at|to)",
)


def _unquoted(text: str) -> tuple[str, list[str]]:
    """The text with quoted passages blanked (same offsets), and the short scare-quoted phrases."""
    scare = []
    blanked = text
    for match in QUOTED.finditer(text):
        inner = match.group(2)
        if len(inner.split()) <= 3:
            scare.append(inner)
        blanked = (
            blanked[: match.start()] + " " * (match.end() - match.start()) + blanked[match.end() :]
        )
    return blanked, scare


def _hits(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


NEGATED = re.compile(
    r"\b(?:no|not|never|isn't|there's no|without)\s+(?:a\s+|any\s+|real\s+)?$", re.I
)


FIRM = regex(r"tomorrow", r"tonight", r"today", r"deadline", r"cut-?off", r"expir\w*", r"due")
DONE_IN = re.compile(
    r"\b(?:done|finished|took(?: me| us)?|set up|sorted|fixed|cleared|replied|answered|"
    r"solved|resolved)(?:\s+\w+){0,2}\s*$",
    re.I,
)


LOOKBACK_CHARS = 200


def _deadline_hits(plain: str) -> int:
    """Time cues that set a deadline: not negated ("no deadline"), not a past achievement
    ("done in 4 minutes"), and, unless firm (tomorrow, tonight, a cut-off), not inside a
    reported promise, policy or past event."""
    count = 0
    for sentence in sentences(plain):
        reported = bool(REPORTED.search(sentence.text))
        for match in IMMINENT.finditer(sentence.text):
            # both patterns end at `$` and read a few words back: a bounded tail keeps a
            # long sentence with many time cues linear
            before = sentence.text[max(0, match.start() - LOOKBACK_CHARS) : match.start()]
            if NEGATED.search(before) or DONE_IN.search(before):
                continue
            if reported and not FIRM.search(match.group(0)):
                continue
            count += 1
    return count


def message_cues(text: str, compound: float) -> dict[str, float]:
    """The purpose cues of a message as numbers (capped at 3): what the state model reads."""
    plain, scare = _unquoted(text)
    counts = {
        "deadline": _deadline_hits(plain),
        "grievance": _hits(GRIEVANCE, plain),
        "strong_grievance": _hits(STRONG_GRIEVANCE, plain),
        "failure": _hits(FAILURE, plain),
        "praise": _hits(PRAISE, COURTESY.sub(" ", plain)),
        "resolved": _hits(RESOLVED, plain),
        "questions": plain.count("?"),
        "confusion_cues": _hits(CONFUSION_CUES, plain),
        "ultimatum": _hits(ULTIMATUM, plain),
        "praise_by_contrast": _hits(PRAISE_BY_CONTRAST, plain),
        "confusion_statement": _hits(CONFUSION_STATEMENT, plain),
        "strong_words": _hits(STRONG_WORDS, plain),
        "loose_urgency": _hits(LOOSE_URGENCY, plain),
        "scare_quotes": len([q for q in scare if q[:1].islower()]),
    }
    cues = {name: float(min(value, 3)) for name, value in counts.items()}
    cues["sentiment"] = compound
    return cues


def _decisive(text: str) -> bool:
    """Cues precise enough that the rule's reading stands whatever the fitted model says: an
    ultimatum, open sarcasm, praise in grumbling words, an explicit "I don't understand"."""
    plain, _ = _unquoted(text)
    return any(
        pattern.search(plain)
        for pattern in (ULTIMATUM, SARCASM, PRAISE_BY_CONTRAST, CONFUSION_STATEMENT)
    )


def purpose_states(text: str, compound: float) -> tuple[str, str | None] | None:
    """Primary and secondary state by what the message is for; None when no purpose shows."""
    plain, scare = _unquoted(text)
    courtesy_free = COURTESY.sub(" ", plain)
    deadline = _deadline_hits(plain)
    stated = CONFUSION_STATEMENT.sub(" ", plain)  # "not complaining" is no complaint
    grievance = _hits(GRIEVANCE, stated) + _hits(STRONG_GRIEVANCE, stated)
    failure = _hits(FAILURE, plain)
    praise = _hits(PRAISE, courtesy_free)
    resolved = _hits(RESOLVED, plain) and not re.search(r"\bnot (?:fixed|sorted)\b", plain, re.I)
    asked = [x.text for x in sentences(plain) if "?" in x.text]
    questions = len(asked) + _hits(CONFUSION_CUES, plain)
    grievance -= 0.5 * sum(
        _hits(GRIEVANCE, q) + _hits(STRONG_GRIEVANCE, q) for q in asked
    )  # "will this happen every time?" asks; it does not complain
    evaluative_scare = [q for q in scare if q[:1].islower()]
    sarcastic = bool(SARCASM.search(plain)) or bool(evaluative_scare and (failure or grievance))
    if _hits(ULTIMATUM, plain):
        return "frustrated", "urgent"
    if failure and _hits(LOOSE_URGENCY, plain):
        deadline += 1  # "urgent", "asap" count only when something is actually broken
    if _hits(PRAISE_BY_CONTRAST, plain) and not sarcastic:
        return "satisfied", None  # "annoyed I didn't switch sooner": praise in grumbling words
    if praise and resolved and not sarcastic:
        return "satisfied", None  # a past problem, now fixed, told with thanks
    if praise and failure and not resolved and not deadline:
        sarcastic = True  # "Fantastic. It charged everyone twice.": praise over harm is sarcasm
    unresolved = grievance >= 2 or sarcastic or (grievance and (failure or praise))
    explaining = _hits(CONFUSION_STATEMENT, plain) and not _hits(STRONG_WORDS, plain)
    if explaining and not sarcastic and not deadline:
        return "confused", None  # "I still don't get it": wants to understand, not to complain
    firm = re.search(r"\b(?:today|tonight|tomorrow|now|asap|right away|\d+ ?min\w*)\b", plain, re.I)
    if _hits(STRONG_WORDS, plain) and not firm:
        return "frustrated", None
    if deadline:
        if grievance >= 4 and deadline < 2:
            return "frustrated", "urgent"
        return "urgent", "frustrated" if unresolved else None
    if unresolved:
        return "frustrated", None
    if praise and not failure:
        return "satisfied", "confused" if "?" in plain else None
    if grievance and not questions:
        return "frustrated", None
    if questions or _hits(CONFUSION, plain):
        return "confused", None
    if failure:
        return ("frustrated" if compound < -0.3 else "confused"), None
    if praise or resolved:
        return "satisfied", None
    if compound >= 0.4:
        return "satisfied", None
    if compound <= -0.4:
        return "frustrated", None
    return "confused", None


BASE_SEVERITY = {"satisfied": 1, "confused": 3, "frustrated": 5, "urgent": 6}


def severity_for(
    text: str, state: str, indicators: list[Span], sarcasm: list[Span], compound: float
) -> int:
    """1 (calm, happy) to 10 (furious, threatening to leave, business at stake)."""
    if state == "satisfied":
        return 1 if compound >= 0.5 else 2
    kinds = [i.kind for i in indicators]
    score = BASE_SEVERITY[state]
    score += min(2, kinds.count("all_caps"))
    score += 1 if exclamation_count(text) >= 3 else 0
    score += 1 if _count(IMPACT, text) else 0
    score += 2 if _count(CHURN, text) and state != "confused" else 0
    score += 1 if REPEATED.search(text) else 0
    score += 1 if sarcasm else 0
    score += 1 if compound <= -0.6 else 0
    if state == "confused" and not _count(FRUSTRATION, text):
        score = min(score, 4)
    return max(1, min(10, score))


def risk_for(text: str, state: str, severity: int) -> str:
    if (_count(CHURN, text) and state != "confused") or severity >= 8:
        return "high"
    if state == "satisfied" or severity <= 4:
        return "low"
    return "medium"


def analyze_message(text: str | None) -> MessageAnalysis:
    """Read a customer's message: primary and secondary state, severity, risk, indicators.

    Every reply to a scenario is graded against the same message: it is read once (a
    bounded memo keyed by the text; each caller gets its own copy of the scores)."""
    found = _analyze_message(text or "", state_model_key())
    return replace(found, scores=dict(found.scores))


@lru_cache(maxsize=1024)
def _analyze_message(text: str, model_key: tuple | None) -> MessageAnalysis:
    if not text.strip():
        empty = dict.fromkeys(STATES, 0.0)
        return MessageAnalysis("confused", None, 1, "low", (), empty, 0.0)
    compound = sentiment_compound(text)
    indicators, sarcasm = find_indicators(text)
    scores = state_scores(text, indicators, sarcasm, compound)
    state, secondary = purpose_states(text, compound) or pick_states(scores)
    model = state_model()
    if model is not None and not _decisive(text):
        learned = model.predict(text, message_cues(text, compound))
        if learned != state:
            state, secondary = learned, (secondary if secondary != learned else None)
    severity = severity_for(text, state, indicators, sarcasm, compound)
    return MessageAnalysis(
        state=state,
        secondary_state=secondary,
        severity=severity,
        relationship_risk=risk_for(text, state, severity),
        indicators=tuple(indicators),
        scores=scores,
        sentiment=compound,
        sarcasm=tuple(sarcasm),
    )
