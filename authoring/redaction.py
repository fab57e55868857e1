"""Finding personal data in a ticket thread and replacing it, before anything is stored.

Pure Python (no Django): patterns for emails, card numbers (Luhn-checked), account numbers
(a number after words such as "account", or an IBAN), street addresses and postcodes;
`phonenumbers` (Google's libphonenumber, offline) for phone numbers; and names taken from
the ticket itself (the authors, "my name is …", greetings and sign-offs), each replaced by
an invented name used consistently across the thread. Patterns miss things and catch
things that are not personal, so every redaction is listed for the trainer to confirm or
undo, and the trainer may add strings to redact (docs/authoring.md).

`redact_ticket` is deterministic: the same ticket and extra terms give the same
redactions with the same indexes, so a confirmation posted back can name the ones to undo
by index without the server keeping the original text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

import phonenumbers

KINDS = ("email", "card", "account", "phone", "address", "name", "other")
KIND_LABELS = {
    "email": "Email address",
    "card": "Card number",
    "account": "Account number",
    "phone": "Phone number",
    "address": "Street address",
    "name": "Name",
    "other": "Added by the trainer",
}
PLACEHOLDERS = {
    "email": "[email]",
    "card": "[card number]",
    "account": "[account number]",
    "phone": "[phone]",
    "address": "[street address]",
    "other": "[redacted]",
}
# Which wins when two findings overlap (an email's digits are not a phone number).
PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}

INVENTED_FIRST = (
    "Maren", "Tobias", "Ilona", "Rafael", "Wren", "Cosima", "Anton", "Priya", "Elodie",
    "Joaquin", "Signe", "Dario", "Noor", "Leopold", "Ines", "Kasimir",
)  # fmt: skip
INVENTED_LAST = (
    "Halvorsen", "Okonkwo", "Vasquez-Lind", "Brennan", "Tanaka-Moss", "Delacroix", "Ferreira",
    "Lindqvist-Hale", "Achterberg", "Nakashima", "Oyelaran", "Castellano",
)  # fmt: skip
INVENTED_STAFF = ("Robin", "Sasha", "Jules", "Kit", "Morgan", "Remy", "Ash", "Quinn")

EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
ACCOUNT_RE = re.compile(
    r"\b(?:account|acct|a/c|customer|membership|member|reference|ref|contract|subscriber|"
    r"policy|order|invoice|iban|sort code|routing)"
    r"(?:\s+(?:no\.?|number|num|#|id|nr\.?|code))?\s*(?:is|:|#|=)?\s*"
    r"(?P<value>[A-Z]{0,4}[-\s]?\d[\d\s-]{3,}\d[A-Z]?|[A-Z0-9]*\d[A-Z0-9]{4,})",
    re.IGNORECASE,
)
# What the phone matcher may take for a number: dates and times.
DATE_LIKE_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\d{1,2}:\d{2}")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
STREET_SUFFIXES = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|court|ct|close|way|place|pl|"
    "terrace|crescent|square|sq|parkway|pkwy|highway|hwy|circle|cir|gardens|grove|row|hill|"
    "strasse|straße|weg|gasse|platz"
)
ADDRESS_RE = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'.-]*\s+){1,4}(?:" + STREET_SUFFIXES + r")\b\.?"
    r"(?:,?\s+(?:apt|apartment|unit|suite|flat|#)\.?\s*[A-Za-z0-9-]+)?",
    re.IGNORECASE,
)
POSTCODE_RE = re.compile(
    r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"  # UK
    r"|[A-Z]{2}\s\d{5}(?:-\d{4})?)\b"  # US state + ZIP
)
NAME_WORD = r"[A-Z][a-zà-ÿ'\u2019-]+(?:[- ][A-Z][a-zà-ÿ'\u2019-]+){0,2}"
# The lead words in any case, the name itself capitalised ("this is Jane", not "this is it").
MY_NAME_RE = re.compile(r"(?i:\bmy name is|\bmy name's|\bthis is)\s+(" + NAME_WORD + r")\b")
GREETING_RE = re.compile(
    r"^\s*(?i:hi|hello|hey|dear|good morning|good afternoon|good evening)\s+(" + NAME_WORD + r")"
    r"\s*[,!.:]",
    re.MULTILINE,
)
SIGNOFF_RE = re.compile(
    r"^\s*(?i:thanks|thank you|many thanks|regards|best|best regards|kind regards|cheers|"
    r"sincerely|warm regards|thx)[,.!]?\s*\n\s*(?:-+\s*)?(" + NAME_WORD + r")\s*$",
    re.MULTILINE,
)
NOT_NAMES = {
    "Support", "Team", "Customer", "Service", "Billing", "Sales", "Help", "Thanks", "Thank",
    "Regards", "Best", "Cheers", "Hello", "Hi", "Dear", "Sir", "Madam", "All", "There",
    "Everyone", "Agent", "Admin", "Not", "Very", "So", "Just", "Still", "Really", "Sorry",
}  # fmt: skip


@dataclass
class TicketMessage:
    """One comment of a thread, as read from a paste or an export."""

    author: str  # "customer" or "agent"
    name: str = ""
    sent_at: str = ""
    body: str = ""
    public: bool = True
    ai_draft: bool = False


@dataclass
class Ticket:
    ticket_id: str = ""
    subject: str = ""
    messages: list[TicketMessage] = field(default_factory=list)
    customer_name: str = ""
    customer_email: str = ""

    def fields(self) -> list[tuple[str, str]]:
        """(field name, text) of everything that may hold personal data, in a fixed order."""
        found = [("subject", self.subject), ("customer_name", self.customer_name)]
        found.append(("customer_email", self.customer_email))
        for index, message in enumerate(self.messages):
            found.append((f"messages.{index}.name", message.name))
            found.append((f"messages.{index}.body", message.body))
        return found


@dataclass(frozen=True)
class Redaction:
    """One replacement. `original` lives in memory only: it is never stored."""

    index: int
    kind: str
    field: str
    start: int
    end: int
    original: str
    replacement: str

    def public(self, *, undone: bool = False) -> dict:
        """What is kept once confirmed: no original text, no offsets into it."""
        return {
            "index": self.index,
            "kind": self.kind,
            "field": self.field,
            "replacement": self.replacement,
            "undone": undone,
        }


@dataclass
class RedactionResult:
    ticket: Ticket  # the redacted ticket
    redactions: list[Redaction]
    undone: frozenset[int] = frozenset()
    customer_alias: str = ""

    def stored_list(self) -> list[dict]:
        return [r.public(undone=r.index in self.undone) for r in self.redactions]


def luhn_valid(digits: str) -> bool:
    total, double = 0, False
    for char in reversed(digits):
        value = int(char)
        if double:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
        double = not double
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    replacement: str | None = None  # None: the kind's placeholder


def _pattern_spans(text: str, regions: tuple[str, ...]) -> list[_Span]:
    spans = [_Span(m.start(), m.end(), "email") for m in EMAIL_RE.finditer(text)]
    for match in CARD_RE.finditer(text):
        digits = _digits(match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            spans.append(_Span(match.start(), match.end(), "card"))
    for match in ACCOUNT_RE.finditer(text):
        value = match.group("value").rstrip(" -")
        start = match.start("value")
        if len(_digits(value)) >= 4:
            spans.append(_Span(start, start + len(value), "account"))
    spans += [_Span(m.start(), m.end(), "account") for m in IBAN_RE.finditer(text)]
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            if len(_digits(match.raw_string)) >= 7 and not DATE_LIKE_RE.search(match.raw_string):
                spans.append(_Span(match.start, match.end, "phone"))
    spans += [_Span(m.start(), m.end(), "address") for m in ADDRESS_RE.finditer(text)]
    spans += [_Span(m.start(), m.end(), "address") for m in POSTCODE_RE.finditer(text)]
    return spans


def _clean_name(name: str) -> str:
    name = re.sub(r"<[^>]*>|\([^)]*\)|\S+@\S+", " ", name or "")
    words = [
        w for w in re.split(r"\s+", name.strip()) if w and w[0].isupper() and w not in NOT_NAMES
    ]
    return " ".join(words[:4])


def _capitalised(name: str) -> str:
    """An author's name as written in text: "jane doe" in an export field is "Jane Doe"."""
    return name.title() if name and name == name.lower() else name


def _people(ticket: Ticket) -> tuple[list[str], list[str]]:
    """The customer's names and everyone else's (staff), as found in the ticket."""
    customer = [_capitalised(ticket.customer_name)]
    staff = []
    for message in ticket.messages:
        own = customer if message.author == "customer" else staff
        other = staff if message.author == "customer" else customer
        own.append(_capitalised(message.name))
        own += [m.group(1) for m in MY_NAME_RE.finditer(message.body)]
        own += [m.group(1) for m in SIGNOFF_RE.finditer(message.body)]
        other += [m.group(1) for m in GREETING_RE.finditer(message.body)]
    clean = lambda names: [n for n in dict.fromkeys(_clean_name(x) for x in names) if n]  # noqa: E731
    customer_names = clean(customer)
    staff_names = [n for n in clean(staff) if n not in customer_names]
    return customer_names, staff_names


def _pick(options: tuple[str, ...], seed: str, avoid: str) -> str:
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(options)
    for offset in range(len(options)):
        choice = options[(start + offset) % len(options)]
        if choice.lower() not in avoid:
            return choice
    return options[start]


def _name_map(ticket: Ticket) -> tuple[dict[str, str], str]:
    """Each name (and each part of it) → its invented replacement; and the customer's alias."""
    customer_names, staff_names = _people(ticket)
    everything = " ".join(text for _, text in ticket.fields()).lower()
    seed = ticket.ticket_id or (customer_names[0] if customer_names else "ticket")
    first = _pick(INVENTED_FIRST, seed + ":first", everything)
    last = _pick(INVENTED_LAST, seed + ":last", everything)
    mapping: dict[str, str] = {}
    for full in customer_names:
        parts = full.split()
        mapping[full] = f"{first} {last}" if len(parts) > 1 else first
        if len(parts) > 1:
            mapping.setdefault(parts[0], first)
            mapping.setdefault(parts[-1], last)
    # Longest first, so "Tom" alone reuses the alias of "Tom Reyes".
    for number, full in enumerate(sorted(staff_names, key=len, reverse=True)):
        known = [mapping[part] for part in full.split() if part in mapping]
        alias = known[0] if known else _pick(INVENTED_STAFF, f"{seed}:staff:{number}", everything)
        mapping.setdefault(full, alias)
        for part in full.split():
            mapping.setdefault(part, alias)
    mapping = {name: alias for name, alias in mapping.items() if len(name) > 1}
    return mapping, f"{first} {last}"


def _name_spans(text: str, names: dict[str, str], *, ignore_case: bool = False) -> list[_Span]:
    """Occurrences of the names: capitalised in prose ("will" is not Will), in any case in
    an author field."""
    spans = []
    for name in sorted(names, key=len, reverse=True):
        pattern = r"(?<![\w@.])" + re.escape(name) + r"(?![\w@])"
        for match in re.finditer(pattern, text, flags=re.IGNORECASE if ignore_case else 0):
            spans.append(_Span(match.start(), match.end(), "name", names[name]))
    return spans


def _term_spans(text: str, terms: list[str]) -> list[_Span]:
    spans = []
    for term in terms:
        for match in re.finditer(re.escape(term), text, flags=re.IGNORECASE):
            spans.append(_Span(match.start(), match.end(), "other"))
    return spans


def _resolve(spans: list[_Span]) -> list[_Span]:
    """Non-overlapping spans: the higher-priority kind, then the longer, wins."""
    chosen: list[_Span] = []
    ranked = sorted(spans, key=lambda s: (PRIORITY[s.kind], -(s.end - s.start), s.start))
    for span in ranked:
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def _apply(text: str, redactions: list[Redaction], undone: frozenset[int]) -> str:
    out, position = [], 0
    for item in redactions:
        out.append(text[position : item.start])
        out.append(item.original if item.index in undone else item.replacement)
        position = item.end
    out.append(text[position:])
    return "".join(out)


def redact_ticket(
    ticket: Ticket,
    *,
    extra_terms: list[str] | None = None,
    undone: set[int] | frozenset[int] = frozenset(),
    regions: tuple[str, ...] = ("US", "GB"),
) -> RedactionResult:
    """The ticket with personal data replaced, and every replacement made.

    `extra_terms` are strings the trainer asked to redact as well; `undone` the indexes of
    redactions the trainer undid (their original text is put back).
    """
    terms = [t.strip() for t in (extra_terms or []) if len(t.strip()) > 1]
    names, alias = _name_map(ticket)
    undone = frozenset(undone)
    redactions: list[Redaction] = []
    texts: dict[str, str] = {}
    for field_name, text in ticket.fields():
        text = text or ""
        is_author = field_name.endswith("name")
        spans = [
            *_pattern_spans(text, regions),
            *_name_spans(text, names, ignore_case=is_author),
            *_term_spans(text, terms),
        ]
        field_redactions = []
        for span in _resolve(spans):
            field_redactions.append(
                Redaction(
                    index=len(redactions) + len(field_redactions),
                    kind=span.kind,
                    field=field_name,
                    start=span.start,
                    end=span.end,
                    original=text[span.start : span.end],
                    replacement=span.replacement or PLACEHOLDERS[span.kind],
                )
            )
        redactions += field_redactions
        texts[field_name] = _apply(text, field_redactions, undone)
    redacted = replace(
        ticket,
        subject=texts["subject"],
        customer_name=texts["customer_name"],
        customer_email=texts["customer_email"],
        messages=[
            replace(
                message,
                name=texts[f"messages.{i}.name"],
                body=texts[f"messages.{i}.body"],
            )
            for i, message in enumerate(ticket.messages)
        ],
    )
    return RedactionResult(
        ticket=redacted, redactions=redactions, undone=undone, customer_alias=alias
    )


def field_segments(
    text: str, redactions: list[Redaction], undone: frozenset[int] = frozenset()
) -> list[tuple[str, Redaction | None]]:
    """The field's text as pieces for the review page: plain text, and each redaction's
    replacement (or its original, when undone) with the redaction it came from."""
    pieces: list[tuple[str, Redaction | None]] = []
    position = 0
    for item in sorted(redactions, key=lambda r: r.start):
        if item.start > position:
            pieces.append((text[position : item.start], None))
        pieces.append((item.original if item.index in undone else item.replacement, item))
        position = item.end
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces
