"""Reply analysis: tone, empathy, personalisation, next steps, length, jargon and links."""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from grading.detectors.messages import analyze_message, sentiment_lexicon
from grading.detectors.text import (
    STOPWORDS,
    Span,
    content_words,
    dedupe_overlaps,
    find_all,
    normalise,
    phrase_pattern,
    regex,
    sentences,
    stem,
    words,
)
from text_analysis.words import word_count as shown_word_count

TONES_FOR_STATE = {
    "urgent": ("reassuring", "action_focused"),
    "frustrated": ("empathetic", "solution_oriented"),
    "confused": ("patient", "educational"),
    "satisfied": ("appreciative", "relationship_building"),
}
EMPATHY_PARTS = ("acknowledge_feeling", "specific_situation", "reassurance", "apology")
_DAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_TIME = (
    rf"(?:end of (?:the )?day|eod|tomorrow|tonight|this (?:afternoon|evening)|{_DAYS}|"
    rf"\d{{1,2}}(?::\d\d)? ?(?:am|pm))"
)

ACKNOWLEDGE = regex(
    (
        r"I (?:completely |totally |really |fully )?(?:understand|can see|can imagine|"
        r"know) (?:how|that|why|what)"
    ),
    r"I (?:completely |totally )?understand",
    (
        r"(?:that|this|it) (?:must be|must have been|sounds|is|has been|was) (?:so |"
        r"really |very |incredibly |understandably )?(?:frustrating|stressful|worrying|"
        r"confusing|disappointing|annoying|upsetting|difficult|hard|inconvenient|"
        r"maddening|exhausting|tough)"
    ),
    r"(?:completely|totally|perfectly) understandable",
    r"understandably",
    r"I hear you",
    r"you(?:'re| are) (?:right|absolutely right) to",
    r"(?:your|the) frustration",
    r"I know (?:how|this|it)",
    r"(?:that's|that is|it's) (?:not )?(?:what|the experience) you (?:expected|deserve)",
    r"(?:sounds|must feel|feels) (?:like )?(?:a lot|overwhelming)",
    r"(?:I can|I'd) (?:only )?imagine",
    r"(?:so )?(?:glad|happy|delighted|thrilled) (?:to hear|that|you)",
    r"under (?:a lot of |real )?(?:pressure|time pressure)",
    r"(?:the|a) (?:deadline|time pressure|worry|stress)",
)
APOLOGY = regex(
    r"I(?:'m| am) (?:so |really |very |truly |deeply |sincerely )?sorry",
    r"(?:we(?:'re| are)) (?:so |really |very |truly )?sorry",
    r"(?:my|our) (?:sincere |deepest )?apologies",
    r"(?:I|we) (?:sincerely )?apologi[sz]e",
    r"apologies for",
    r"sorry (?:for|about|that)",
)
SCRIPTED = regex(
    r"(?:for|about) (?:any|the|this) (?:inconvenience|trouble|frustration|confusion)"
    r"(?: (?:this|that|it) (?:may have|has|might have) caused)?",
    r"(?:any|the) inconvenience",
    r"I (?:completely |totally |fully )?understand (?:your|the) (?:frustration|concern)s?",
    r"sorry to (?:hear|see|read)(?: (?:that|about (?:this|that|the issue)))?",
    r"happy to help",
    r"(?:great|good) question",
    r"(?:thank you|thanks) for (?:your message|contacting|reaching out|getting in touch|your email|"
    r"writing in|your patience|your understanding)",
    r"we understand your (?:concern|frustration)",
    r"(?:thank you|thanks) for your (?:patience|understanding)",
    r"we (?:value|appreciate) your (?:business|patience|feedback)",
    r"your (?:satisfaction|experience) is (?:our|very) (?:top )?(?:priority|important)",
    r"I (?:can )?understand how (?:frustrating|stressful|annoying|upsetting|difficult) "
    r"(?:this|that|it) (?:is|must be|can be)",
)
DEFENSIVE = regex(
    r"(?:your|the account holder's|the customer's|the account owner's) responsibility",
    r"working as (?:intended|designed|expected)",
    r"(?:is|was|are) (?:clearly )?(?:stated|documented|explained) (?:on|in)",
    r"in (?:the )?future,? (?:please|make sure|you should)",
    r"within (?:our|the) (?:target|policy|terms|sla)",
    r"(?:our|the) terms (?:are|were) (?:clear|explicit)",
    r"(?:not|isn't|is not) something we (?:can|could) (?:help|do)",
    r"as (?:I|we) (?:already |previously |clearly )?(?:said|mentioned|stated|explained|told you)",
    r"you should have (?:read|checked|known|contacted|done|followed|updated|exported|noticed|"
    r"asked|looked|called|paid|set)",
    r"per our (?:policy|terms)",
    r"(?:it's|it is|this is|that's|that is) not (?:our|my) fault",
    r"(?:that's|this is|that is) (?:just |simply )?(?:our|the) policy",
    r"(?:there's|there is) nothing (?:I|we) can do",
    r"you (?:failed|forgot|neglected) to",
    r"if you had (?:read|checked|followed)",
    r"clearly (?:states|stated|says)",
    r"(?:sorry|apologies),? but",
    r"sorry (?:if|that) you feel",
    r"sorry you feel",
    r"user error",
    r"(?:we|I) (?:can't|cannot) be (?:held )?responsible",
    r"as (?:clearly )?(?:stated|explained|documented) in",
    r"you (?:must|need to) (?:have )?(?:read|check)",
    # flippancy: making light of the customer's problem
    r"chill",
    r"calm down",
    r"(?:just )?be patient",
    r"(?:it'll|it will) (?:be done|happen|go out) when it(?:'s| is) (?:done|ready)",
    r"haha+",
    r"lol",
    r"nothing in life is free",
    r"it is what it is",
    r"deal with it",
)
REASSURANCE = regex(
    r"rest assured",
    r"let's get (?:this|those|these|it|you|them|that)",
    r"I(?:'ll| will) stay on (?:this|it)",
    r"without losing (?:anything|any)",
    r"(?:you're|you are) not bothering",
    r"no need to (?:apologi[sz]e|worry)",
    r"(?:nothing|no data) (?:will be|is|gets) (?:lost|deleted)",
    r"(?:nothing|no one) (?:has happened|has seen|was sent)",
    r"there's nothing (?:to do|you need to do)",
    r"(?:everyone|lots of people|many people) asks?",
    r"(?:don't|do not|no need to) worry",
    r"you(?:'re| are) in good hands",
    r"I(?:'ll| will) (?:personally )?(?:make sure|ensure|see to it)",
    r"we(?:'ll| will) (?:get|have) (?:this|it|you|everything) (?:sorted|fixed|resolved|back)",
    (
        r"(?:your|the|all) (?:data|invoices?|payments?|account|money|records) (?:is|are|"
        r"remain) (?:safe|secure|intact)"
    ),
    r"nothing (?:is|has been|was) lost",
    r"I(?:'ve| have) got (?:this|it|you)",
    r"(?:I'm|I am|we're|we are) on it",
    r"you won't (?:be charged|lose|need)",
    r"(?:is|are|it's) (?:now )?(?:fixed|resolved|back up|working again)",
    r"good news",
    r"(?:we|I) (?:can|will) (?:definitely |absolutely )?(?:fix|sort|resolve) (?:this|it)",
    r"(?:this|it) (?:is|will be) (?:easy|quick) to (?:fix|sort|resolve)",
)
AGENT_ACTION_DONE = regex(
    (
        r"I(?:'ve| have) (?:already |just |now )?(?:escalated|refunded|issued|applied|"
        r"reset|restored|fixed|updated|credited|reopened|re-?sent|processed|added|"
        r"removed|switched|changed|opened|raised|flagged|sent|cancelled|corrected|"
        r"extended|reversed|unlocked|enabled|disabled|checked|confirmed|arranged|"
        r"scheduled)"
    ),
    (
        r"(?:we|our team)(?:'ve| have) (?:already |just |now )?(?:escalated|refunded|"
        r"issued|applied|reset|restored|fixed|updated|credited|processed|reversed|"
        r"corrected|deployed)"
    ),
)
AGENT_ACTION_NEXT = regex(
    (
        r"I(?:'ll| will| am going to|'m going to) (?:now |personally |immediately "
        r")?(?:escalate|refund|issue|apply|reset|restore|fix|update|credit|process|send|"
        r"resend|re-send|check|look into|investigate|raise|set up|walk|call|add|switch|"
        r"change|open|reverse|correct|extend|arrange|schedule)"
    ),
    (
        r"I(?:'m| am) (?:now |currently )?(?:escalating|fixing|processing|working on|"
        r"looking into|resetting|issuing|refunding|investigating|checking)"
    ),
    (
        r"(?:our|the) (?:team|engineers|billing team) (?:is|are|will) (?:now "
        r")?(?:looking|working|fix|investigat)\w*"
    ),
)
IMPERATIVE = re.compile(
    r"(?:^|(?<=[.!?:]\s)|(?<=\n)|\b(?:please|simply|just|you can|you'll need to|you "
    r"will need to|then|first|next|finally),?\s+)"
    r"(?:go to|open|click|select|choose|navigate to|head to|head over to|try|reply|"
    r"send|upload|check|enter|"
    r"update|visit|sign in|log in|log out|tap|press|add|remove|download|export|"
    r"install|enable|disable|confirm|"
    r"follow|use|switch|refresh|restart|re-?connect|reconnect|contact|forward)\b[^.!?\n]*",
    re.IGNORECASE | re.MULTILINE,
)
LIST_STEP = re.compile(r"^[ \t]*(?:\d+[.)]|[-*•])[ \t]+\S[^\n]*", re.MULTILINE)
NEXT_STEP_PHRASE = regex(
    r"next steps?",
    r"here's what (?:happens next|to do|I've done|I'll do|we'll do)",
    r"what happens next",
    r"here's how",
    r"the (?:quickest|easiest|best) way",
)
VAGUE_NEXT = regex(
    r"let (?:me|us) know if (?:you )?(?:have|need|there's)[^.!?\n]*",
    r"feel free to (?:reach out|contact|get in touch|reply)[^.!?\n]*",
    r"(?:don't|do not) hesitate to[^.!?\n]*",
    r"(?:reach out|get in touch) (?:if|any time|anytime)[^.!?\n]*",
    r"hope (?:this|that) helps",
)
FOLLOW_UP = regex(
    (
        r"(?:and |then )?will (?:check back|follow up|update you|get back to you|be in "
        r"touch|write to you|let you know|confirm)"
    ),
    r"keeping (?:this|the|your) ticket open",
    r"I(?:'ll| will) stay on (?:this|it)",
    r"I(?:'m| am) calling you",
    r"I(?:'ll| will) (?:call|ring|phone) you",
    r"(?:reply|write back) (?:with|and) [^.!?\n]{0,40}(?:I'll|I will)",
    (
        r"I(?:'ll| will)(?: personally| also)? (?:follow up|check (?:back|in)|update you|"
        r"get back to you|email you|message you|call you|be in touch|reach out|keep you "
        r"(?:posted|updated|informed|in the loop)|confirm|let you know|monitor|keep an "
        r"eye|circle back|come back to you|write to you)"
    ),
    (
        r"we(?:'ll| will) (?:follow up|update you|let you know|keep you (?:posted|"
        r"updated|informed)|be in touch|get back to you|confirm|email you|reach out)"
    ),
    (
        r"you(?:'ll| will) (?:hear|get an? (?:update|email|confirmation)) (?:back "
        r")?(?:from (?:me|us))?"
    ),
    r"expect (?:an? )?(?:update|email|reply|confirmation) (?:from (?:me|us) )?(?:within|by|in)",
    r"follow-up",
)
TIMEFRAME = regex(
    (
        r"within (?:the next )?(?:an?|one|two|three|\d+) (?:minutes?|hours?|business "
        r"days?|working days?|days?)"
    ),
    r"in the next (?:\d+ )?(?:minutes?|hours?|days?|hour|day)",
    rf"by {_TIME}",
    r"today",
    r"first thing",
)
TONE_PATTERNS: dict[str, re.Pattern[str]] = {
    "reassuring": REASSURANCE,
    "action_focused": regex(
        r"right (?:now|away)",
        r"immediately",
        r"I(?:'m| am) (?:calling|ringing|phoning|keeping)",
        r"in the meantime",
        r"let's get (?:this|those|these|it|you|them)",
        r"(?:the )?(?:fastest|quickest) (?:fix|way)",
        r"as we speak",
        r"straight away",
        r"top priority",
        r"(?:urgent|high) priority",
        r"prioriti[sz]ed?",
        r"within (?:the next )?(?:an?|one|two|\d+) (?:minutes?|hours?)",
        r"in the next (?:\d+ )?(?:minutes?|hours?|hour)",
        r"here's what I(?:'ve| have) done",
        (
            r"I(?:'ve| have) (?:already )?(?:escalated|fixed|applied|reset|restored|issued|"
            r"resent|processed|reopened|refunded)"
        ),
        r"I(?:'m| am) (?:now )?(?:escalating|fixing|processing|working on|resetting|issuing)",
        (
            r"I(?:'ll| will) (?:now |immediately )?(?:escalate|fix|apply|reset|restore|issue|"
            r"resend|process|refund)"
        ),
    ),
    "empathetic": None,  # filled below from acknowledgement and apology
    "solution_oriented": regex(
        r"to (?:fix|resolve|sort(?: out)?|solve) (?:this|it|the)",
        r"here's how",
        r"the (?:fix|solution|workaround)",
        r"(?:this|that) (?:will|should) (?:fix|resolve|sort|solve)",
        r"I(?:'ve| have) (?:fixed|resolved|corrected|refunded|credited|reversed)",
        r"(?:is|are|has been) (?:now )?(?:fixed|resolved|corrected|refunded|credited|reversed)",
        r"workaround",
        r"you can now",
        r"(?:we|I) (?:can|will) (?:fix|sort|resolve|solve)",
        r"(?:the|a) (?:refund|credit) (?:of|for)",
    ),
    "patient": regex(
        r"no problem",
        r"no need to apologi[sz]e",
        r"everyone asks",
        r"welcome to",
        r"(?:you're|you are) not bothering",
        r"happy to (?:help|explain|walk|show|go through)",
        r"let me (?:walk|explain|show|break)",
        r"step[- ]by[- ]step",
        r"take your time",
        r"(?:great|good) question",
        (
            r"(?:it's|this is|that's) (?:a )?(?:really )?(?:common|easy to|completely "
            r"understandable|normal|understandable)"
        ),
        r"(?:don't|do not) hesitate",
        r"(?:any )?(?:other|more|further) questions",
        r"feel free",
        r"one step at a time",
        r"(?:don't|do not) worry",
        r"a lot of (?:people|customers)",
        r"you're not alone",
    ),
    "educational": regex(
        r"here's how",
        r"(?:this|that|which) means",
        r"in other words",
        r"for example",
        r"e\.g\.",
        r"the reason",
        r"because",
        r"what this does",
        r"think of it",
        r"the difference between",
        r"(?:works|work) like",
        r"(?:is|are) (?:called|shown|listed|found) (?:in|under|on)",
        r"you(?:'ll| will) (?:see|find)",
        r"(?:first|then|next|finally)",
    ),
    "appreciative": regex(
        r"thank(?:s| you)(?: so much| very much)? for",
        r"thank you(?: so much)?[,!.]",
        r"thanks again",
        r"made our (?:day|morning|week)",
        r"(?:brilliant|great|fantastic|wonderful) result",
        r"(?:was|were) (?:really |so )?pleased to hear",
        r"(?:we|I) (?:really |truly |so )?appreciate",
        r"(?:so )?(?:glad|happy|delighted|thrilled) (?:to hear|that|you)",
        r"(?:great|wonderful|lovely) to hear",
        r"means a lot",
        r"made (?:our|my) day",
        r"kind words",
        r"(?:thanks|thank you) for (?:the|your) (?:feedback|kind|lovely|note|message)",
    ),
    "relationship_building": regex(
        r"looking forward",
        r"passed (?:your|this) (?:message|feedback|thanks|note) on",
        r"(?:if you'd like|if you like), [^.!?\n]{0,60}(?:share|show|send)",
        r"(?:what's|what is) working (?:best|well) for other",
        r"other (?:clinics|businesses|customers) (?:like yours)?",
        r"(?:you might|you may) find (?:it )?handy",
        r"(?:we|I)(?:'d| would) love (?:to|your)",
        r"valued",
        r"(?:long-time|longtime|loyal)",
        r"(?:always|here) (?:here )?(?:to|for) (?:help|you)",
        r"feedback",
        r"partner\w*",
        r"(?:share|pass) (?:this|your \w+|it) (?:with|on to) (?:the|our) team",
        r"community",
        r"for (?:being|choosing|sticking with) (?:with )?us",
        r"in the future",
        r"early access",
        r"beta",
        r"webinar",
        r"make the most of",
        r"(?:a|your) (?:review|testimonial|case study)",
        r"(?:tips|ideas) (?:for|on)",
        r"(?:next|coming) (?:month|release|update)",
    ),
}
TONE_PATTERNS["empathetic"] = re.compile(f"{ACKNOWLEDGE.pattern}|{APOLOGY.pattern}", re.IGNORECASE)
MISMATCH = {
    "urgent": regex(
        r"no rush",
        r"take your time",
        r"whenever you (?:get a chance|can)",
        r"in a few (?:days|weeks)",
        r"eventually",
        r"at some point",
        r"great question",
    ),
    "frustrated": regex(
        r"great question",
        r"no worries",
        r"(?:glad|happy) you (?:reached out|asked)",
        r"(?:exciting|exciting news)",
        r"unfortunately,? (?:that's|this is|there's)",
    ),
    "confused": regex(
        r"obviously",
        r"clearly",
        r"simply",
        r"as (?:I|we) (?:already )?(?:said|explained|mentioned)",
        r"it's (?:easy|simple)",
        r"just (?:click|do|go)",
    ),
    "satisfied": re.compile(
        f"{APOLOGY.pattern}|\\bunfortunately\\b|\\bwe regret\\b", re.IGNORECASE
    ),
}
GENERIC = regex(
    r"dear (?:valued )?(?:customer|user|client|sir|madam|sir or madam|sir/madam)",
    r"to whom it may concern",
    r"hi there",
    r"\[(?:customer )?name\]",
    r"\{(?:customer_)?name\}",
    r"valued customer",
)
JARGON = regex(
    r"apis?",
    r"endpoints?",
    r"webhooks?",
    r"cach(?:e|es|ed|ing)",
    r"dns",
    r"ssl",
    r"tls",
    r"latency",
    r"back-?end",
    r"front-?end",
    r"databases?",
    r"db",
    r"sql",
    r"quer(?:y|ies)",
    r"deploy(?:ed|ment|ments)?",
    r"roll(?:ed)?[- ]?back",
    r"regressions?",
    r"config",
    r"microservices?",
    r"load balancers?",
    r"server-side",
    r"stack traces?",
    r"http \d{3}",
    r"[45]xx",
    r"json",
    r"payloads?",
    r"race conditions?",
    r"null pointers?",
    r"exceptions?",
    r"kubernetes",
    r"k8s",
    r"shards?",
    r"sharding",
    r"replicas?",
    r"fail-?over",
    r"cron(?: jobs?)?",
    r"job queues?",
    r"workers?",
    r"throughput",
    r"hot-?fix(?:es)?",
    r"schema",
    r"oauth",
    r"idempoten\w*",
    r"mutex",
    r"deadlocks?",
    r"pods?",
    r"containers?",
    r"clusters?",
    r"upstream",
    r"downstream",
    r"ttl",
    r"cdn",
    r"smtp",
    r"imap",
    r"mx records?",
    r"dkim",
    r"sev-?[0-4]",
    r"p[0-3] incident",
    r"post-?mortem",
    r"retry logic",
    r"thread pool",
    r"connection pool\w*",
    r"orm",
    r"migrations?",
    r"feature flags?",
    r"code path",
    r"root filesystem",
    r"memory leak",
    r"oom",
    r"garbage collect\w*",
    r"message broker",
    r"redis",
    r"postgres\w*",
    r"celery",
    r"nginx",
    r"aws",
    r"s3 buckets?",
    r"lambda",
    r"vpc",
    r"ip address(?:es)?",
    r"certificates?",
    r"tokens?",
    r"rate[- ]limit\w*",
)
URL = re.compile(
    r"(?:https?://|\bwww\.|\bhelp\.)[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?]", re.IGNORECASE
)
GRADER_DIRECTED = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}\b(?:rubric|"
    r"instructions?|criteria|previous|above|grading|prompt|rules|guidelines)\b"
    r"|\b(?:give|award|assign|grant)\b[^.!?\n]{0,40}\b(?:full|maximum|max|top|"
    r"perfect|all(?: the)?|highest)\b[^.!?\n]{0,20}\b(?:marks|points|score|scores|"
    r"grade|grades|credit)\b"
    r"|\b(?:grader|grading (?:model|system)|evaluator|assessor|marker|reviewer|"
    r"language model|LLM|AI model)\b[^.!?\n]{0,60}\b(?:must|should|will|shall|needs "
    r"to|has to)\b"
    r"|\b(?:score|grade|rate|mark)\s+(?:this|me|the reply|this reply|this "
    r"answer)\s+(?:as\s+|a\s+|with\s+)?(?:\d+|full|perfect|excellent|highest|top|"
    r"maximum)"
    r"|\b(?:system|developer)\s+(?:prompt|message|note|instruction)\b"
    r"|\b(?:10/10|3/3|4/4|100%\s+(?:score|marks))",
    re.IGNORECASE,
)
RUBRIC_WORDS = regex(
    r"rubric",
    r"criteri(?:on|a)",
    r"grader",
    r"grading",
    r"marks",
    r"empathy",
    r"personali[sz]ation",
    r"completeness",
    r"tone[_ ]match",
    r"next[_ ]steps",
    r"reassuring",
    r"action[- ]focused",
    r"solution[- ]oriented",
    r"relationship[- ]building",
    r"accuracy",
    r"tone",
    r"score",
)
GENERIC_WORDS = frozenset(
    [
        "account",
        "issue",
        "problem",
        "help",
        "thank",
        "thanks",
        "customer",
        "support",
        "question",
        "team",
        "hello",
        "message",
        "email",
        "reply",
        "know",
        "time",
        "something",
        "anything",
        "everything",
        "someone",
        "anyone",
        "send",
        "sent",
        "sending",
        "work",
        "works",
        "working",
        "worked",
        "times",
        "using",
        "make",
        "getting",
        "going",
        "wants",
        "needs",
        "month",
        "week",
        "year",
        "days",
        "hours",
        "told",
        "said",
        "asked",
        "tried",
    ]
)


@dataclass(frozen=True)
class ReplyAnalysis:
    """Everything the reply detector found, each finding with its span in the reply."""

    text: str
    word_count: int
    max_words: int | None
    target_state: str | None
    target_tones: tuple[str, ...]
    tone_markers: dict[str, tuple[Span, ...]]
    mismatched_tone: tuple[Span, ...]
    empathy: dict[str, tuple[Span, ...]]
    defensive: tuple[Span, ...]
    apology_count: int
    name_mentions: tuple[Span, ...]
    generic_greetings: tuple[Span, ...]
    specifics: tuple[Span, ...]
    next_steps: tuple[Span, ...]
    vague_next_steps: tuple[Span, ...]
    follow_up: tuple[Span, ...]
    timeframes: tuple[Span, ...]
    jargon: tuple[Span, ...]
    source_links: tuple[Span, ...]
    grader_directed: tuple[Span, ...] = ()
    stuffing: tuple[Span, ...] = ()
    ignored: tuple[Span, ...] = field(default=(), repr=False)

    @property
    def over_limit(self) -> bool:
        return self.max_words is not None and self.word_count > self.max_words

    @property
    def tones_found(self) -> tuple[str, ...]:
        return tuple(t for t in self.target_tones if self.tone_markers.get(t))

    @property
    def over_apologising(self) -> bool:
        return self.apology_count >= 3

    @property
    def empathy_parts(self) -> tuple[str, ...]:
        """Empathy components present; an apology counts only without defensiveness or excess."""
        parts = [p for p in EMPATHY_PARTS if self.empathy.get(p)]
        if "apology" in parts and (self.defensive or self.over_apologising):
            parts.remove("apology")
        return tuple(parts)

    @property
    def padded(self) -> bool:
        return bool(self.stuffing)


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _keep(spans: Iterable[Span], ignored: tuple[Span, ...]) -> tuple[Span, ...]:
    """The spans (overlaps deduped) that lie inside no ignored range. The ranges sorted by
    start with the furthest end so far answer "inside one?" by bisection: on a long reply
    with many ranges, testing every range for every span was quadratic."""
    ranges = sorted(ignored, key=lambda r: r.start)
    starts = [r.start for r in ranges]
    furthest = list(itertools.accumulate((r.end for r in ranges), max))

    def inside(span: Span) -> bool:
        index = bisect_right(starts, span.start)  # ranges starting at or before the span
        return bool(index) and furthest[index - 1] >= span.end

    return tuple(s for s in dedupe_overlaps(spans) if not inside(s))


LONG_TOKEN = re.compile(r"(?<!\S)(?!https?://|www\.)\S{40,}")


def prose_problem(text: str) -> str | None:
    """Why a text is not prose a customer could read (None when it is).

    A reply is prose when its words are mostly joined into sentences: function words
    ("the", "you", "to") carry the grammar, and no run of characters lacks spaces. A link
    counts as one word: its parts are not a list of keywords.
    """
    text = URL.sub(" link ", text or "")
    tokens = words(text)
    if not tokens:
        return "it has no words"
    if LONG_TOKEN.search(text):
        return "it has runs of characters without spaces"
    if len(tokens) >= 8:
        function_share = sum(1 for t in tokens if t.lower() in STOPWORDS) / len(tokens)
        if function_share < 0.18:
            return "it is a list of words rather than sentences"
    if not any(len(words(s.text)) >= 4 for s in sentences(text)):
        return "it has no sentence"
    listed = sum(len(words(span.text)) for span in find_keyword_lists(text))
    if listed >= 0.5 * len(tokens):
        return "it is mostly a list of keywords"
    return None


def find_grader_directed(text: str) -> list[Span]:
    """Sentences that talk to the grader instead of the customer (prompt injection)."""
    return [
        Span("grader_directed", s.text, s.start, s.end)
        for s in sentences(text)
        if GRADER_DIRECTED.search(s.text)
    ]


def find_repeated(text: str) -> list[Span]:
    """Second and later copies of the same sentence (padding by repetition)."""
    seen: set[str] = set()
    repeated = []
    for sentence in sentences(text):
        key = " ".join(words(normalise(sentence.text)))
        if len(key.split()) >= 3 and key in seen:
            repeated.append(Span("repeated_sentence", sentence.text, sentence.start, sentence.end))
        seen.add(key)
    return repeated


def find_keyword_lists(text: str) -> list[Span]:
    """Sentences that are lists of rubric vocabulary, dense runs of marker phrases, or lists
    of short items with almost no grammar (pasted keywords)."""
    return list(_find_keyword_lists(text))


@lru_cache(maxsize=4096)
def _find_keyword_lists(text: str) -> tuple[Span, ...]:
    found = []
    for sentence in sentences(text):
        if GRADER_DIRECTED.search(sentence.text):
            continue  # set aside as grader-directed, not counted as stuffing
        rubric_hits = len(RUBRIC_WORDS.findall(sentence.text))
        items = [i for i in re.split(r"[,;:/]| and ", sentence.text) if i.strip()]
        short_items = len(items) >= 4 and sum(len(i.split()) for i in items) / len(items) <= 3.5
        tokens = words(sentence.text)
        bare = len(tokens) >= 8 and sum(t.lower() in STOPWORDS for t in tokens) / len(tokens) < 0.2
        mean_item = sum(len(i.split()) for i in items) / len(items) if items else 0
        enumeration = len(items) >= 8 and mean_item <= 4  # a legit list rarely runs past seven
        if (
            rubric_hits >= 2
            or (short_items and _marker_density(sentence.text) >= 0.4)
            or (short_items and bare and not LIST_STEP.match(sentence.text))
            or (enumeration and not LIST_STEP.match(sentence.text))
        ):
            found.append(Span("keyword_stuffing", sentence.text, sentence.start, sentence.end))
    return tuple(found)


BOILERPLATE = regex(
    r"(?:we|I) (?:truly |really |greatly )?value (?:you|your business|our customers)",
    r"valued customer",
    r"(?:your )?satisfaction is our (?:top |highest |number one )?priority",
    r"(?:strive|striving|committed|dedicated) to (?:provide|providing|deliver|delivering|"
    r"excellence|being)",
    r"the best possible (?:experience|service|support)",
    r"(?:appreciate|thank you for) your (?:patience|understanding)",
    r"part of (?:our|the \w+) (?:community|family)",
    r"means a great deal",
    r"(?:continue|continuing) to improve",
    r"we are here (?:for you|to help)",
    r"(?:please )?(?:accept|receive) (?:our|my) (?:sincere |deepest )?apologies",
    r"we (?:deeply |sincerely )?regret",
)


def _case_words(spans: list[Span]) -> list[Span]:
    """Specifics that are the case's own, not feelings both sides happen to use ('great')."""
    lexicon = sentiment_lexicon()
    return [s for s in spans if s.text.lower().strip("$") not in lexicon]


def find_padding(text: str, customer_message: str | None) -> list[Span]:
    """Paragraphs of stock phrases with nothing of this customer's case in them: corporate
    boilerplate, or a run of apologies and sympathy (three or more such phrases)."""
    found = []
    offset = 0
    for paragraph in re.split(r"(\n\s*\n)", text):
        start, end = offset, offset + len(paragraph)
        offset = end
        if not paragraph.strip() or re.fullmatch(r"\n\s*\n", paragraph):
            continue
        stock_patterns = (BOILERPLATE, APOLOGY, ACKNOWLEDGE, SCRIPTED)
        stock = 0
        covered: set[int] = set()
        for pattern in stock_patterns:
            for match in pattern.finditer(paragraph):  # one pass: the count and the cover
                stock += 1
                covered.update(range(match.start(), match.end()))
        density = len(covered) / max(1, len(paragraph.strip()))
        own = _case_words(find_specifics(paragraph, customer_message))
        if stock >= 3 and density >= 0.3 and not own and not LIST_STEP.search(paragraph):
            found.append(Span("padding", paragraph.strip(), start, end))
        else:
            for sentence in sentences(paragraph):
                if BOILERPLATE.search(sentence.text) and not _case_words(
                    find_specifics(sentence.text, customer_message)
                ):
                    found.append(
                        Span("padding", sentence.text, start + sentence.start, start + sentence.end)
                    )
    return found


_ALL_MARKERS = [
    ACKNOWLEDGE,
    APOLOGY,
    REASSURANCE,
    FOLLOW_UP,
    NEXT_STEP_PHRASE,
    *[p for p in TONE_PATTERNS.values() if p is not None],
]


def _marker_density(text: str) -> float:
    covered: set[int] = set()
    for pattern in _ALL_MARKERS:
        for match in pattern.finditer(text):
            covered.update(range(match.start(), match.end()))
    letters = sum(1 for c in text if not c.isspace()) or 1
    return len(covered) / letters


def find_dense_marker_sentences(text: str) -> list[Span]:
    """Sentences packed with four or more stock phrases covering most of their length."""
    found = []
    for sentence in sentences(text):
        hits = sum(
            len(p.findall(sentence.text)) for p in (ACKNOWLEDGE, APOLOGY, REASSURANCE, FOLLOW_UP)
        )
        if hits >= 4 and _marker_density(sentence.text) >= 0.5:
            found.append(Span("keyword_stuffing", sentence.text, sentence.start, sentence.end))
    return found


def message_specifics(customer_message: str | None) -> list[str]:
    """Specific terms from the customer's message: numbers and ids, then meaningful words."""
    if not customer_message:
        return []
    return list(_message_specifics(customer_message))


@lru_cache(maxsize=1024)
def _message_specifics(customer_message: str) -> tuple[str, ...]:
    terms = [w for w in words(customer_message) if any(c.isdigit() for c in w) and len(w) >= 2]
    terms += re.findall(r"\$\s?\d[\d,]*(?:\.\d+)?", customer_message)
    meaningful = [
        w
        for w in content_words(customer_message)
        if len(w) >= 4 and w not in GENERIC_WORDS and not w.isdigit()
    ]
    seen: dict[str, str] = {}
    for term in [*terms, *meaningful]:
        seen.setdefault(stem(term), term)
    return tuple(seen.values())


def find_specifics(reply: str, customer_message: str | None) -> list[Span]:
    """Where the reply echoes specific terms from the customer's message (one span per term)."""
    return list(_find_specifics(reply, customer_message))


@lru_cache(maxsize=4096)
def _find_specifics(reply: str, customer_message: str | None) -> tuple[Span, ...]:
    found = []
    first_by_stem: dict[str, tuple[str, int, int]] = {}  # each stem's first word in the reply
    for m in re.finditer(r"\$?[A-Za-z0-9][\w'\u2019-]*", reply):
        first_by_stem.setdefault(stem(m.group(0).lstrip("$")), (m.group(0), m.start(), m.end()))
    for term in message_specifics(customer_message):
        hit = first_by_stem.get(stem(term.lstrip("$")))
        if hit is not None:
            found.append(Span("specific", *hit))
    return tuple(sorted(found, key=lambda s: s.start))


def find_name(reply: str, customer_name: str | None) -> list[Span]:
    if not customer_name or not customer_name.strip():
        return []
    parts = [p for p in customer_name.split() if len(p) > 1]
    pattern = phrase_pattern([customer_name, *parts])
    return find_all(pattern, reply, "name")


def find_next_steps(text: str) -> list[Span]:
    spans = [
        *find_all(LIST_STEP, text, "next_step"),
        *find_all(IMPERATIVE, text, "next_step"),
        *find_all(NEXT_STEP_PHRASE, text, "next_step"),
        *find_all(AGENT_ACTION_DONE, text, "next_step"),
        *find_all(AGENT_ACTION_NEXT, text, "next_step"),
    ]
    return [Span(s.kind, s.text.strip(), s.start, s.start + len(s.text.rstrip())) for s in spans]


def find_tone_markers(text: str) -> dict[str, list[Span]]:
    markers = {tone: find_all(pattern, text, tone) for tone, pattern in TONE_PATTERNS.items()}
    steps = find_all(LIST_STEP, text, "educational")
    markers["educational"] += steps
    markers["solution_oriented"] += [
        Span("solution_oriented", s.text, s.start, s.end) for s in find_next_steps(text)
    ]
    markers["action_focused"] += find_all(TIMEFRAME, text, "action_focused")
    return markers


def resolve_target_state(target_state: str | None, customer_message: str | None) -> str | None:
    if target_state in TONES_FOR_STATE:
        return target_state
    if customer_message and customer_message.strip():
        return analyze_message(customer_message).state
    return None


def analyze_reply(
    text: str | None,
    *,
    customer_name: str | None = None,
    customer_message: str | None = None,
    target_state: str | None = None,
    max_words: int | None = None,
) -> ReplyAnalysis:
    """Find tone, empathy, personalisation, next steps, length, jargon and links in a reply.

    Sentences addressed to a grader, repeated sentences and keyword lists are set aside
    (reported in `grader_directed` and `stuffing`) and earn no markers. A reply is analysed
    once for the same inputs (a bounded memo; the analysis is frozen and shared): the
    offline grade and the LLM grader's findings read the same analysis.
    """
    return _analyze_reply(text or "", customer_name, customer_message, target_state, max_words)


@lru_cache(maxsize=2048)
def _analyze_reply(
    text: str,
    customer_name: str | None,
    customer_message: str | None,
    target_state: str | None,
    max_words: int | None,
) -> ReplyAnalysis:
    # Only the tones depend on the customer's state: the rest is read once per reply even
    # when it is graded against two states (the LLM's findings hide the labelled one).
    state = resolve_target_state(target_state, customer_message)
    common = _reply_findings(text, customer_name, customer_message, max_words)
    return replace(
        common,
        target_state=state,
        target_tones=TONES_FOR_STATE.get(state or "", ()),
        mismatched_tone=_keep(find_all(MISMATCH[state], text, "mismatch"), common.ignored)
        if state
        else (),
    )


@lru_cache(maxsize=2048)
def _reply_findings(
    text: str,
    customer_name: str | None,
    customer_message: str | None,
    max_words: int | None,
) -> ReplyAnalysis:
    """Everything analyze_reply finds that does not depend on the customer's state."""
    grader_directed = find_grader_directed(text)
    stuffing = dedupe_overlaps(
        [
            *find_repeated(text),
            *find_keyword_lists(text),
            *find_dense_marker_sentences(text),
            *find_padding(text, customer_message),
        ]
    )
    ignored = tuple(dedupe_overlaps([*grader_directed, *stuffing]))
    tone_markers = {t: _keep(s, ignored) for t, s in find_tone_markers(text).items()}
    apologies = _keep(find_all(APOLOGY, text, "apology"), ignored)
    all_apologies = dedupe_overlaps(find_all(APOLOGY, text, "apology"))
    if len(apologies) >= 3:  # grovelling is not empathy
        tone_markers["empathetic"] = tuple(
            s for s in tone_markers["empathetic"] if not any(_overlap(s, a) for a in apologies)
        )
    # the length shown against the limit is the one word count the workspace shows
    directed_words = sum(shown_word_count(s.text) for s in grader_directed)
    return ReplyAnalysis(
        text=text,
        word_count=shown_word_count(text) - directed_words,
        max_words=max_words,
        target_state=None,
        target_tones=(),
        tone_markers=tone_markers,
        mismatched_tone=(),
        empathy={
            "acknowledge_feeling": _keep(
                find_all(ACKNOWLEDGE, text, "acknowledge_feeling"), ignored
            ),
            "specific_situation": _keep(find_specifics(text, customer_message), ignored),
            "reassurance": _keep(find_all(REASSURANCE, text, "reassurance"), ignored),
            "apology": apologies,
        },
        defensive=_keep(find_all(DEFENSIVE, text, "defensive"), ignored),
        apology_count=len(all_apologies),
        name_mentions=_keep(find_name(text, customer_name), ignored),
        generic_greetings=tuple(find_all(GENERIC, text, "generic_greeting")),
        specifics=_keep(find_specifics(text, customer_message), ignored),
        next_steps=_keep(find_next_steps(text), ignored),
        vague_next_steps=_keep(find_all(VAGUE_NEXT, text, "vague_next_step"), ignored),
        follow_up=_keep(find_all(FOLLOW_UP, text, "follow_up"), ignored),
        timeframes=_keep(find_all(TIMEFRAME, text, "timeframe"), ignored),
        jargon=_keep(find_all(JARGON, text, "jargon"), ignored),
        source_links=_keep(find_all(URL, text, "source_link"), ignored),
        grader_directed=tuple(grader_directed),
        stuffing=tuple(stuffing),
        ignored=ignored,
    )


__all__ = ["EMPATHY_PARTS", "STOPWORDS", "TONES_FOR_STATE", "ReplyAnalysis", "analyze_reply"]
