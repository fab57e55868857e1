"""Reads of the calibration loop: the calibration inbox, the candidates a session can be
made of, the discussion of a revealed session, its outcome and export, and the agents'
examples gallery. Each reads a constant number of queries, however much data there is."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from curriculum.models import Cohort, Exercise, Membership, Module, User
from exercises.models import Submission

from ..console.access import trained_cohorts_q
from ..console.models import (
    StoredFinalCriterion,
    TrainerCalibrationScore,
    TrainerCalibrationSession,
)
from ..peer.rubric import commentable_fields, criteria_of
from ..selectors import rubric_version_current
from .models import (
    CalibrationFlag,
    ExampleKind,
    PublishedExample,
    TrainerCalibrationAgreement,
    TrainerCalibrationComment,
    TrainerCalibrationEscalation,
)
from .outcome import Outcome, ScoredCriterion, needs_discussion, session_outcome

# ---- the inbox ----------------------------------------------------------------------------


def calibration_inbox(*, user: User, cohort: Cohort | None = None) -> list[CalibrationFlag]:
    """Flags no session has taken up yet, from every cohort the trainer runs (newest
    first). Trainers see who wrote the flagged work; nobody else reads the inbox."""
    flags = CalibrationFlag.objects.filter(session__isnull=True).filter(
        trained_cohorts_q(user, "cohort__")
    )
    if cohort is not None:
        flags = flags.filter(cohort=cohort)
    return list(
        flags.select_related(
            "cohort",
            "flagged_by",
            "submission__user",
            "submission__exercise",
            "submission__scenario",
        ).order_by("-created_at", "-pk")[:500]
    )


def calibration_escalations_waiting(*, user: User) -> list[TrainerCalibrationEscalation]:
    """Items trainers sent to `user` as lead trainer that wait for their decision."""
    return list(
        TrainerCalibrationEscalation.objects.filter(lead=user, decided_at__isnull=True)
        .select_related("raised_by", "item__session", "item__submission__exercise")
        .order_by("created_at", "pk")
    )


# ---- candidates for a session -------------------------------------------------------------


@dataclass
class CandidateFilters:
    exercise: int | None = None
    criterion: str = ""
    grade_min: int | None = None  # percent
    grade_max: int | None = None
    since: date | None = None
    until: date | None = None
    flagged_only: bool = False


CANDIDATE_LIMIT = 200


def calibration_candidates(
    *, cohort: Cohort, filters: CandidateFilters
) -> tuple[list[tuple[int, str]], int]:
    """The cohort's agents' submissions matching the filters (grade: the stored final grade,
    of the chosen criterion when one is chosen, else the total), newest first, at most
    CANDIDATE_LIMIT of them; and how many matched in all."""
    found = Submission.objects.filter(
        user_id__in=Membership.objects.filter(cohort=cohort).values("user_id")
    )
    if filters.exercise:
        found = found.filter(exercise_id=filters.exercise)
    if filters.since:
        found = found.filter(created_at__date__gte=filters.since)
    if filters.until:
        found = found.filter(created_at__date__lte=filters.until)
    if filters.flagged_only:
        flagged = CalibrationFlag.objects.filter(cohort=cohort)
        if filters.criterion:
            flagged = flagged.filter(criterion_key=filters.criterion)
        found = found.filter(pk__in=flagged.values("submission_id"))
    if filters.grade_min is not None or filters.grade_max is not None:
        low = (filters.grade_min or 0) / 100
        high = (100 if filters.grade_max is None else filters.grade_max) / 100
        if filters.criterion:
            graded = StoredFinalCriterion.objects.filter(
                criterion_key=filters.criterion, fraction__gte=low, fraction__lte=high
            ).values("final_id")
            found = found.filter(pk__in=graded)
        else:
            found = found.filter(final_grade__total__gte=low, final_grade__total__lte=high)
    total = found.count()
    rows = found.select_related("user", "exercise", "scenario", "final_grade").order_by(
        "-created_at", "-pk"
    )[:CANDIDATE_LIMIT]
    choices = []
    for s in rows:
        final = getattr(s, "final_grade", None)
        grade = f" · {round(final.total * 100)}%" if final and final.total is not None else ""
        choices.append(
            (
                s.pk,
                f"{s.exercise.title} · {s.scenario.title} · {s.user.display_name} #{s.attempt}"
                f" · {s.created_at:%d %b %Y}{grade}",
            )
        )
    return choices, total


def calibration_filter_choices(*, cohort: Cohort) -> tuple[list, list]:
    """The exercises the cohort's agents submitted to, and the criteria of their rubrics."""
    exercises = list(
        Exercise.objects.filter(submissions__user__memberships__cohort=cohort)
        .distinct()
        .order_by("module__order", "order", "title")
    )
    criteria: dict[str, str] = {}
    for slug in sorted({e.rubric_slug for e in exercises}):
        for spec in criteria_of(rubric_version_current(slug=slug).snapshot):
            criteria.setdefault(spec.key, spec.title)
    return [(e.pk, e.title) for e in exercises], sorted(criteria.items(), key=lambda c: c[1])


# ---- the discussion -----------------------------------------------------------------------


@dataclass
class DiscussionItem:
    comments: list = field(default_factory=list)
    agreed: dict = field(default_factory=dict)  # key -> points (None: n/a)
    agreed_by_lead: bool = False
    escalation: TrainerCalibrationEscalation | None = None
    published: PublishedExample | None = None
    highlighted: set = field(default_factory=set)  # criterion keys to discuss

    @property
    def settled(self) -> bool:
        return bool(self.agreed) and (self.escalation is None or self.escalation.decided_at)


def calibration_discussion(*, session: TrainerCalibrationSession) -> dict[int, DiscussionItem]:
    """Per item id: comments, agreed scores, escalation, publication, and the criteria
    whose blind scores lie far apart (or mix n/a with levels)."""
    items: dict[int, DiscussionItem] = defaultdict(DiscussionItem)
    for comment in TrainerCalibrationComment.objects.filter(item__session=session).select_related(
        "author"
    ):
        items[comment.item_id].comments.append(comment)
    for agreement in TrainerCalibrationAgreement.objects.filter(item__session=session):
        items[agreement.item_id].agreed[agreement.criterion_key] = agreement.points
        items[agreement.item_id].agreed_by_lead |= agreement.by_lead
    for escalation in TrainerCalibrationEscalation.objects.filter(
        item__session=session
    ).select_related("lead", "raised_by"):
        items[escalation.item_id].escalation = escalation
    for published in PublishedExample.objects.filter(item__session=session):
        items[published.item_id].published = published
    blind: dict[tuple[int, str], list] = defaultdict(list)
    for item_id, key, points in TrainerCalibrationScore.objects.filter(
        item__session=session
    ).values_list("item_id", "criterion_key", "points"):
        blind[(item_id, key)].append(points)
    for (item_id, key), points in blind.items():
        if needs_discussion(points):
            items[item_id].highlighted.add(key)
    return items


def calibration_leads(*, session: TrainerCalibrationSession) -> list[tuple[int, str]]:
    """Who may decide an escalated item: the cohort's trainers (staff can too)."""
    return [
        (t.pk, f"{t.display_name} ({t.email})") for t in session.cohort.trainers.order_by("email")
    ]


# ---- outcome and export -------------------------------------------------------------------


def _scored_criteria(session: TrainerCalibrationSession):
    """(item, spec, blind points by participant id, agreement) for every item's criteria."""
    items = list(session.items.select_related("submission__exercise", "submission__scenario"))
    blind: dict[tuple[int, str], dict[int, int | None]] = defaultdict(dict)
    for participant_id, item_id, key, points in TrainerCalibrationScore.objects.filter(
        item__session=session
    ).values_list("participant_id", "item_id", "criterion_key", "points"):
        blind[(item_id, key)][participant_id] = points
    agreements = {
        (a.item_id, a.criterion_key): a
        for a in TrainerCalibrationAgreement.objects.filter(item__session=session)
    }
    rubrics: dict[str, list] = {}
    for item in items:
        slug = item.submission.exercise.rubric_slug
        if slug not in rubrics:
            rubrics[slug] = criteria_of(rubric_version_current(slug=slug).snapshot)
        for spec in rubrics[slug]:
            yield item, spec, blind[(item.pk, spec.key)], agreements.get((item.pk, spec.key))


def calibration_session_outcome(*, session: TrainerCalibrationSession) -> tuple[Outcome, int]:
    """The session's figures now, and how many items are not settled."""
    escalated = {
        e.item_id: e for e in TrainerCalibrationEscalation.objects.filter(item__session=session)
    }
    scored, unsettled = [], set()
    for item, spec, blind, agreement in _scored_criteria(session):
        escalation = escalated.get(item.pk)
        if agreement is None or (escalation is not None and escalation.decided_at is None):
            unsettled.add(item.pk)
        scored.append(
            ScoredCriterion(
                key=spec.key,
                low=spec.min_points,
                high=spec.max_points,
                blind=[blind[p] for p in sorted(blind)],
                agreed=agreement is not None,
                by_lead=bool(agreement and agreement.by_lead),
            )
        )
    return session_outcome(scored), len(unsettled)


EXPORT_HEADER = [
    "session",
    "item",
    "exercise",
    "scenario",
    "criterion",
    "blind scores",
    "spread",
    "agreed",
    "settled by",
    "published",
]


def calibration_session_export(*, session: TrainerCalibrationSession):
    """The session's outcome as CSV rows: one per item and criterion, then the figures."""
    participants = {
        p.pk: p.trainer.display_name for p in session.participants.select_related("trainer")
    }
    published = set(
        PublishedExample.objects.filter(item__session=session).values_list("item_id", flat=True)
    )
    rows = []
    for item, spec, blind, agreement in _scored_criteria(session):
        given = [p for p in blind.values() if p is not None]
        rows.append(
            [
                session.title,
                item.order + 1,
                item.submission.exercise.title,
                item.submission.scenario.title,
                spec.title,
                "; ".join(
                    f"{participants.get(pid, pid)}: {'n/a' if p is None else p}"
                    for pid, p in sorted(blind.items())
                ),
                max(given) - min(given) if given else None,
                None
                if agreement is None
                else ("n/a" if agreement.points is None else agreement.points),
                "" if agreement is None else ("lead trainer" if agreement.by_lead else "trainers"),
                "yes" if item.pk in published else "",
            ]
        )
    outcome = session.outcome or calibration_session_outcome(session=session)[0].as_dict()
    rows.append([])
    for label, key in (
        ("agreement before (blind pairs, same level)", "agreement_before"),
        ("agreement after (criteria settled by the trainers)", "agreement_after"),
        ("kappa (quadratic weighted)", "kappa"),
        ("kappa pairs", "kappa_pairs"),
    ):
        rows.append([session.title, "", "", "", label, outcome.get(key)])
    return rows


# ---- the gallery --------------------------------------------------------------------------


@dataclass
class GalleryFilters:
    module: int | None = None
    criterion: str = ""
    kind: str = ""
    exercise: int | None = None
    q: str = ""


@dataclass
class GalleryEntry:
    published: PublishedExample
    module_title: str
    criterion_title: str
    # Answer fields as (label, [(text, marked)]) so the template marks passages itself.
    fields: list = field(default_factory=list)
    agreed: list = field(default_factory=list)  # (criterion title, points, max)


def _segments(text: str, passages: list[str]) -> list[tuple[str, bool]]:
    spans = []
    for passage in passages:
        start = text.find(passage)
        if start >= 0:
            spans.append((start, start + len(passage)))
    spans.sort()
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


GALLERY_LIMIT = 50


def gallery_examples(*, filters: GalleryFilters) -> tuple[list[GalleryEntry], int]:
    """Published examples matching the filters, newest first (at most GALLERY_LIMIT), and
    how many matched. Anonymised: nothing of the author is read."""
    found = PublishedExample.objects.filter(withdrawn_at__isnull=True)
    if filters.module:
        found = found.filter(exercise__module_id=filters.module)
    if filters.exercise:
        found = found.filter(exercise_id=filters.exercise)
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.criterion:
        found = found.filter(Q(criterion_key=filters.criterion) | Q(criterion_key=""))
    for word in filters.q.split()[:8]:
        found = found.filter(search_text__icontains=word)
    total = found.count()
    rows = list(
        found.select_related("exercise__module", "submission__scenario").order_by(
            "-published_at", "-pk"
        )[:GALLERY_LIMIT]
    )
    rubrics: dict[str, dict] = {}
    return [_entry(row, rubrics) for row in rows], total


def gallery_example_get(*, published_id: int) -> GalleryEntry:
    row = (
        PublishedExample.objects.filter(withdrawn_at__isnull=True)
        .select_related("exercise__module", "submission__scenario")
        .get(pk=published_id)
    )
    return _entry(row, {})


def _entry(row: PublishedExample, rubrics: dict[str, dict]) -> GalleryEntry:
    slug = row.exercise.rubric_slug
    if slug not in rubrics:
        rubrics[slug] = {
            spec.key: spec for spec in criteria_of(rubric_version_current(slug=slug).snapshot)
        }
    specs = rubrics[slug]
    focus = specs.get(row.criterion_key)
    return GalleryEntry(
        published=row,
        module_title=row.exercise.module.title,
        criterion_title=focus.title if focus else "",
        fields=[
            (f.label, _segments(f.text, row.passages))
            for f in commentable_fields(row.exercise.type, row.submission.answer or {})
        ],
        agreed=[
            (spec.title, row.agreed.get(key), spec.max_points)
            for key, spec in specs.items()
            if key in row.agreed
        ],
    )


def gallery_examples_for_module(*, module_id: int, limit: int = 3):
    """The newest few published examples of a module (titles only), and how many there are:
    two queries."""
    found = PublishedExample.objects.filter(
        withdrawn_at__isnull=True, exercise__module_id=module_id
    )
    total = found.count()
    if not total:
        return [], 0
    return list(found.order_by("-published_at", "-pk").only("pk", "title", "kind")[:limit]), total


def gallery_filter_choices() -> tuple[list, list]:
    """The modules and criteria that have published examples."""
    published = PublishedExample.objects.filter(withdrawn_at__isnull=True)
    modules = list(
        Module.objects.filter(exercises__published_examples__in=published)
        .distinct()
        .order_by("order", "title")
        .values_list("pk", "title")
    )
    keys = set(published.exclude(criterion_key="").values_list("criterion_key", flat=True))
    titles: dict[str, str] = {}
    for slug in set(published.values_list("exercise__rubric_slug", flat=True)):
        for spec in criteria_of(rubric_version_current(slug=slug).snapshot):
            if spec.key in keys:
                titles.setdefault(spec.key, spec.title)
    return modules, sorted(titles.items(), key=lambda c: c[1])


def gallery_count_for(*, exercise_id: int, criterion_keys) -> dict[str, int]:
    """How many published examples of this exercise speak to each criterion (for the
    "see how others did this" links of a graded submission's weak criteria)."""
    counts: dict[str, int] = defaultdict(int)
    for key in PublishedExample.objects.filter(
        withdrawn_at__isnull=True, exercise_id=exercise_id
    ).values_list("criterion_key", flat=True):
        for wanted in criterion_keys:
            if key in ("", wanted):
                counts[wanted] += 1
    return counts


# ---- the session page ---------------------------------------------------------------------


@dataclass
class FormState:
    """A refused discussion form, shown again with what was typed: which item, which form
    ("comment", "agree", "escalate", "decide", "publish"), its values and messages."""

    item_id: int | None = None
    action: str = ""
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    def of(self, item_id: int, action: str) -> bool:
        return self.item_id == item_id and self.action == action


def calibration_session_decorate(page, *, session, user: User, state: FormState | None = None):
    """Add the discussion to a revealed trainer calibration page: per item its comments,
    agreed scores, escalation and publication; per criterion whether it is highlighted,
    the agreed level and the agree form's value (what was typed, else the agreed level,
    else the level every trainer gave)."""
    state = state or FormState()
    discussion = calibration_discussion(session=session)
    for view in page.items:
        item_id = view.item.pk
        d = discussion[item_id]
        view.discussion = d
        view.state = state if state.item_id == item_id else FormState()
        view.can_decide = bool(
            d.escalation and d.escalation.decided_at is None and d.escalation.lead_id == user.pk
        )
        for c in view.criteria:
            c.highlighted = c.key in d.highlighted
            agreed = d.agreed.get(c.key, "missing")
            c.agreed_value = (
                "" if agreed == "missing" else ("na" if agreed is None else str(agreed))
            )
            given = {p for _, p in c.scores}
            unanimous = "" if len(given) != 1 else ("na" if None in given else str(given.pop()))
            typed = None
            for action, prefix in (("agree", "agreed__"), ("decide", "decided__")):
                if state.of(item_id, action):
                    typed = state.values.get(c.key, "")
                    c.form_error = state.errors.get(f"{prefix}{c.key}", "")
            c.form_value = typed if typed is not None else (c.agreed_value or unanimous)
            if not hasattr(c, "form_error"):
                c.form_error = ""
    page.concluded = session.concluded_at is not None
    page.unsettled = sum(1 for v in page.items if not v.discussion.settled)
    page.leads = calibration_leads(session=session)
    page.kinds = ExampleKind.choices
    return page


WEAK_BELOW = 0.7  # the default mastery threshold


def weak_criteria_with_examples(*, submission: Submission, feedback) -> dict[str, int]:
    """For a graded submission's weak criteria (below WEAK_BELOW of the points), how many
    published examples of its exercise show them: the "see how others did this" links.
    One query; nothing when the grade is held or there are no weak criteria."""
    if feedback is None or getattr(feedback, "held", False):
        return {}
    weak = [
        c.key
        for c in feedback.criteria
        if c.points is not None and c.max_points and c.points < WEAK_BELOW * c.max_points
    ]
    if not weak:
        return {}
    counts = gallery_count_for(exercise_id=submission.exercise_id, criterion_keys=weak)
    return {key: n for key, n in counts.items() if n}
