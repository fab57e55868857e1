"""factory-boy factories for every model, kept in one place."""

import copy
import uuid
from functools import cache
from pathlib import Path

import factory
import yaml
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from curriculum.models import TRAINERS_GROUP, Cohort, Exercise, Membership, Module, User
from exercises.models import (
    CompanyProfile,
    DraftRequest,
    ExerciseScenario,
    KnowledgeFact,
    Scenario,
    ScenarioVersion,
    Submission,
    Workspace,
)
from studio.models import DraftFact

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class TrainerFactory(UserFactory):
    email = factory.Sequence(lambda n: f"trainer{n}@example.com")

    @factory.post_generation
    def trainer_group(obj, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name=TRAINERS_GROUP)
            obj.groups.add(group)


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Cohort {n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")

    @factory.post_generation
    def trainers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.trainers.add(*extracted)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    cohort = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)


# ---- curriculum content, knowledge base and scenarios ------------------------------------


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    slug = factory.Sequence(lambda n: f"test-module-{n}")
    title = factory.Sequence(lambda n: f"Test module {n}")
    order = factory.Sequence(lambda n: 100 + n)
    content_hash = "test"


# Steps as the shipped exercises write them (fixtures/content/modules/*/exercises/).
EXERCISE_STEPS = {
    "tone": ["identify-state", "spot-indicators", "write-prompt", "review-draft", "edit-reply"],
    "audit": ["read-request", "audit-draft", "run-checklist", "edit-reply"],
    "context": ["read-thread", "summarise-thread", "select-history", "write-prompt", "edit-reply"],
    "empathy": ["name-dimension", "write-prompt", "rate-draft", "edit-reply"],
    "escalation": ["analyse-sentiment", "plan-deescalation", "edit-reply"],
    "rca": ["classify-details", "write-report"],
}


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    module = factory.SubFactory(ModuleFactory)
    slug = factory.Sequence(lambda n: f"test-exercise-{n}")
    title = factory.Sequence(lambda n: f"Test exercise {n}")
    order = factory.Sequence(lambda n: n)
    type = "tone"
    rubric_slug = "tone-calibration"
    content_hash = "test"
    instructions = "Do the steps."
    instructions_html = "<p>Do the steps.</p>"
    steps = factory.LazyAttribute(
        lambda o: [
            {"id": step, "title": step.replace("-", " ").capitalize(), "help": f"Help for {step}."}
            for step in EXERCISE_STEPS[o.type]
        ]
    )
    settings = factory.LazyFunction(dict)


@cache
def _fixture_files() -> dict[str, Path]:
    root = Path(settings.CONTENT_DIR) / "scenarios"
    return {path.stem: path for path in root.glob("*/*.yaml")}


@cache
def _fixture_facts() -> dict[str, dict]:
    facts = {}
    for path in sorted((Path(settings.CONTENT_DIR) / "knowledge_base").glob("*.yaml")):
        for fact in yaml.safe_load(path.read_text())["facts"]:
            facts[fact["id"]] = fact
    return facts


def fact_from_fixture(slug: str) -> KnowledgeFact:
    """The shipped knowledge-base fact `slug`, created in the test database (idempotent)."""
    data = _fixture_facts()[slug]
    fact, _ = KnowledgeFact.objects.get_or_create(
        slug=slug,
        defaults={
            "category": data["category"],
            "title": data["title"],
            "statement": data["statement"],
            "source_url": data["source_url"],
            "data": data.get("data", {}),
            "content_hash": "fixture",
        },
    )
    return fact


def scenario_from_fixture(slug: str) -> Scenario:
    """The named shipped scenario with its first version and its knowledge-base facts."""
    data = yaml.safe_load(_fixture_files()[slug].read_text())
    scenario, created = Scenario.objects.get_or_create(
        slug=slug,
        defaults={
            "type": data["type"],
            "title": data["title"],
            "customer_name": data["customer"]["name"],
            "customer_plan": data["customer"].get("plan", ""),
            "message": data.get("message", ""),
            "data": data,
            "content_hash": "fixture",
        },
    )
    if created:
        ScenarioVersion.objects.create(
            scenario=scenario, number=1, content_hash="fixture", data=data
        )
        wanted = set(data.get("kb_facts") or [])
        wanted |= {error["fact_id"] for error in data.get("errors", []) if error.get("fact_id")}
        for fact_slug in sorted(wanted):
            fact_from_fixture(fact_slug)
    return scenario


def exercise_with_scenarios(*, type: str, scenarios: list[str], **fields) -> Exercise:
    """An exercise of `type` linked to the named shipped scenarios, in order."""
    exercise = ExerciseFactory(type=type, **fields)
    for order, slug in enumerate(scenarios):
        ExerciseScenario.objects.create(
            exercise=exercise, scenario=scenario_from_fixture(slug), order=order
        )
    return exercise


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    user = factory.SubFactory(UserFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    scenario = factory.LazyFunction(lambda: scenario_from_fixture("tone-charged-twice-caps"))


class PromptTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exercises.PromptTemplate"

    name = factory.Sequence(lambda n: f"Frustrated customer, solution first {n}")
    exercise_type = "tone"
    customer_state = "frustrated"
    created_by = factory.SubFactory(TrainerFactory)


class PromptTemplateVersionFactory(factory.django.DjangoModelFactory):
    """An approved version by default (a trainer's); `status="proposed"` with an agent as
    `author` and `reviewed_at=None` is a proposal."""

    class Meta:
        model = "exercises.PromptTemplateVersion"

    template = factory.SubFactory(PromptTemplateFactory)
    number = factory.Sequence(lambda n: n + 1)
    body = (
        "Write to {customer_name}, who is {state}. Acknowledge the frustration in one "
        "sentence, then lead with the fix. Use only these facts:\n{facts}\n{constraints}"
    )
    change_note = "First version."
    author = factory.LazyAttribute(lambda o: o.template.created_by)
    status = "approved"
    reviewed_by = factory.LazyAttribute(lambda o: o.author)
    reviewed_at = factory.LazyFunction(timezone.now)


class PromptTemplateUseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exercises.PromptTemplateUse"

    version = factory.SubFactory(PromptTemplateVersionFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.LazyAttribute(lambda o: o.workspace.user)
    submission = None


class DraftRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DraftRequest

    workspace = factory.SubFactory(WorkspaceFactory)
    prompt = "Write a reply."
    status = DraftRequest.Status.DONE
    source = DraftRequest.Source.AUTHORED
    text = "Hello, this is the AI draft."


# A complete answer to the shipped tone exercise on `tone-charged-twice-caps`.
TONE_ANSWER = {
    "identified_state": "frustrated",
    "indicators": ["CHARGED TWICE", "!!!", "Why does this keep happening? Who approved this?"],
    "prompt": (
        "The customer is frustrated (caps, '!!!', repeated questions) about a prorated seat "
        "charge on the Starter plan. Write an empathetic, solution-oriented reply: acknowledge "
        "the surprise, explain the $7.50 proration for the added seat, link billing history."
    ),
    "draft_tone_fits": "partly",
    "reply": (
        "Hi Derek,\n\nI'm sorry the second charge came as a surprise; I understand that every "
        "dollar matters when you run a three-person business. The $7.50 on the 16th is the "
        "prorated cost of the seat added mid-month, not a duplicate charge. You can see both "
        "lines under Settings > Billing > Billing history. I'll check your account today and "
        "email you by 5pm with a breakdown.\n\nBest,\nSam"
    ),
}


def _submission_attempt(o) -> int:
    previous = Submission.objects.filter(user=o.user, exercise=o.exercise, scenario=o.scenario)
    return previous.count() + 1


class SubmissionFactory(factory.django.DjangoModelFactory):
    """The one way tests build a stored submission; it bypasses the services (use them to
    test submitting). Its attempt is the next one of that user on that exercise and scenario.

    On the loaded content (`loaded_content`), `exercise_slug=` / `scenario_slug=` pick the
    shipped items, and `shipped_tone=True` is the shipped tone exercise on
    `tone-charged-twice-caps` with a complete answer (TONE_ANSWER) edited from the authored
    draft."""

    class Meta:
        model = Submission

    class Params:
        exercise_slug = None
        scenario_slug = None
        shipped_tone = factory.Trait(
            exercise_slug="tone-read-and-calibrate",
            scenario_slug="tone-charged-twice-caps",
            answer=factory.LazyFunction(lambda: copy.deepcopy(TONE_ANSWER)),
            ai_draft=factory.LazyAttribute(
                lambda o: o.scenario.data.get("drafts", {}).get("generic", "")
            ),
            ai_draft_source="authored",
            edit_distance=0.6,
            edit_class=Submission.EditClass.SUBSTANTIAL,
            time_on_task_seconds=300,
        )

    user = factory.SubFactory(UserFactory)
    exercise = factory.Maybe(
        "exercise_slug",
        yes_declaration=factory.LazyAttribute(lambda o: Exercise.objects.get(slug=o.exercise_slug)),
        no_declaration=factory.SubFactory(ExerciseFactory),
    )
    scenario = factory.Maybe(
        "scenario_slug",
        yes_declaration=factory.LazyAttribute(lambda o: Scenario.objects.get(slug=o.scenario_slug)),
        no_declaration=factory.LazyFunction(
            lambda: scenario_from_fixture("tone-charged-twice-caps")
        ),
    )
    scenario_version = factory.LazyAttribute(
        lambda o: o.scenario.versions.order_by("-number").first()
    )
    exercise_version = factory.LazyAttribute(lambda o: o.exercise.version)
    attempt = factory.LazyAttribute(_submission_attempt)
    answer = factory.LazyFunction(
        lambda: {
            "identified_state": "frustrated",
            "indicators": ["CHARGED TWICE"],
            "prompt": "Be empathetic.",
            "draft_tone_fits": "partly",
            "reply": "Hi Derek, sorry about that.",
        }
    )
    edit_class = Submission.EditClass.NO_DRAFT
    client_token = factory.LazyFunction(uuid.uuid4)


# --- Support-floor impact (reporting.impact) ---------------------------------------


class SupportLeaderFactory(UserFactory):
    email = factory.Sequence(lambda n: f"leader{n}@example.com")

    @factory.post_generation
    def leader_group(obj, create, extracted, **kwargs):
        if create:
            from curriculum.access import SUPPORT_LEADERS_GROUP

            group, _ = Group.objects.get_or_create(name=SUPPORT_LEADERS_GROUP)
            obj.groups.add(group)


class CohortImpactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "impact.CohortImpact"
        skip_postgeneration_save = True

    cohort = factory.SubFactory(CohortFactory)

    @factory.post_generation
    def leaders(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.leaders.add(*extracted)


def _now():
    from django.utils import timezone

    return timezone.now()


class TicketMetricFactory(factory.django.DjangoModelFactory):
    """A ticket closed at noon today unless told otherwise; build() it for bulk_create."""

    class Meta:
        model = "impact.TicketMetric"

    ticket_id = factory.Sequence(lambda n: f"T-{n:07d}")
    agent = factory.SubFactory(UserFactory)
    closed_at = factory.LazyFunction(lambda: _now().replace(hour=12, minute=0, second=0))
    category = "simple"
    handle_time_seconds = 600
    first_response_seconds = 1800
    resolution_seconds = 3600
    csat = 4
    ai_usage = "ai_assisted"
    draft_edit_ratio = 0.3
    draft_to_send_seconds = 120
    imported_at = factory.LazyFunction(_now)


# --- Cohorts: invitations and assignments ---------------------------------------------


class InvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation, valid for two weeks; pass expires_at / accepted_at to change that."""

    class Meta:
        model = "curriculum.Invitation"

    cohort = factory.SubFactory(CohortFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    token = factory.LazyFunction(lambda: uuid.uuid4().hex)
    expires_at = factory.LazyFunction(lambda: _now() + _days(14))


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)


class AssignmentFactory(factory.django.DjangoModelFactory):
    """A whole module, open since yesterday and due in a week (pass exercise+scenario and
    module=None for a single scenario)."""

    class Meta:
        model = "exercises.Assignment"

    cohort = factory.SubFactory(CohortFactory)
    module = factory.SubFactory(ModuleFactory)
    opens_at = factory.LazyFunction(lambda: _now() - _days(1))
    due_at = factory.LazyFunction(lambda: _now() + _days(7))
    created_by = factory.SubFactory(TrainerFactory)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "curriculum.Lesson"

    module = factory.SubFactory(ModuleFactory)
    slug = factory.Sequence(lambda n: f"test-lesson-{n}")
    title = factory.Sequence(lambda n: f"Test lesson {n}")
    content_hash = "test"
    body = "Read this."
    body_html = "<p>Read this.</p>"


# ---- knowledge base and scenarios (the shipped ones: fact_from_fixture, scenario_from_fixture)


class CompanyProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyProfile

    slug = factory.Sequence(lambda n: f"company-{n}")
    content_hash = "test"
    name = "Example Co"
    data = factory.LazyFunction(
        lambda: {
            "name": "Example Co",
            "product": "things",
            "help_site": "https://help.example.test",
        }
    )


class KnowledgeFactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeFact

    slug = factory.Sequence(lambda n: f"test-fact-{n}")
    content_hash = "test"
    category = "policy"
    title = factory.Sequence(lambda n: f"Test fact {n}")
    statement = "We refund a charge if asked within 30 days."
    source_url = "https://help.example.test/refunds"
    data = factory.LazyFunction(lambda: {"policy": "Refund window", "days": 30})


class ScenarioFactory(factory.django.DjangoModelFactory):
    """A made-up scenario without versions (use scenario_from_fixture for a shipped one)."""

    class Meta:
        model = Scenario

    slug = factory.Sequence(lambda n: f"test-scenario-{n}")
    content_hash = "test"
    type = "tone"
    title = factory.Sequence(lambda n: f"Test scenario {n}")
    customer_name = "Derek"
    message = "I was CHARGED TWICE!!!"
    data = factory.LazyAttribute(lambda o: {"type": o.type, "title": o.title})


class ScenarioVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScenarioVersion

    scenario = factory.SubFactory(ScenarioFactory)
    number = factory.Sequence(lambda n: n + 1)
    content_hash = "test"
    data = factory.LazyAttribute(lambda o: o.scenario.data)


class ExerciseScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExerciseScenario

    exercise = factory.SubFactory(ExerciseFactory)
    scenario = factory.SubFactory(ScenarioFactory)


# ---- grading: rubrics, automatic grades, flags ------------------------------------------

# A small known rubric: two criteria of 0-3 points, accuracy critical (capped at half).
RUBRIC_SNAPSHOT = {
    "id": "test-rubric",
    "title": "Test rubric",
    "criteria": [
        {
            "id": "accuracy",
            "title": "Accuracy",
            "weight": 1,
            "allow_na": False,
            "critical": True,
            "critical_cap": 0.5,
            "levels": [
                {"points": p, "title": f"Accuracy level {p}", "description": f"A{p}"}
                for p in range(4)
            ],
        },
        {
            "id": "empathy",
            "title": "Empathy",
            "weight": 1,
            "allow_na": False,
            "levels": [
                {"points": p, "title": f"Empathy level {p}", "description": f"E{p}"}
                for p in range(4)
            ],
        },
    ],
}


class RubricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.Rubric"

    slug = factory.Sequence(lambda n: f"test-rubric-{n}")
    title = factory.Sequence(lambda n: f"Test rubric {n}")
    content_hash = "test"


class RubricVersionFactory(factory.django.DjangoModelFactory):
    """A rubric version (RUBRIC_SNAPSHOT unless told), made its rubric's current version."""

    class Meta:
        model = "grading.RubricVersion"
        skip_postgeneration_save = True

    rubric = factory.SubFactory(RubricFactory)
    number = 1
    content_hash = "test"
    title = factory.LazyAttribute(lambda o: o.rubric.title)
    snapshot = factory.LazyFunction(lambda: copy.deepcopy(RUBRIC_SNAPSHOT))

    @factory.post_generation
    def current(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            obj.rubric.current_version = obj
            obj.rubric.save(update_fields=["current_version"])


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.Criterion"

    rubric_version = factory.SubFactory(RubricVersionFactory)
    key = factory.Sequence(lambda n: f"criterion-{n}")
    title = factory.Sequence(lambda n: f"Criterion {n}")
    min_points = 0
    max_points = 3


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.Level"

    criterion = factory.SubFactory(CriterionFactory)
    points = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Level {n}")


class ExampleSubmissionFactory(factory.django.DjangoModelFactory):
    """A trainer-graded example answer (the examples reviewers calibrate on)."""

    class Meta:
        model = "grading.ExampleSubmission"

    slug = factory.Sequence(lambda n: f"test-example-{n}")
    content_hash = "test"
    exercise = factory.SubFactory(ExerciseFactory)
    scenario = factory.LazyFunction(lambda: scenario_from_fixture("tone-charged-twice-caps"))
    rubric_version = factory.SubFactory(RubricVersionFactory)
    answer = factory.LazyFunction(lambda: copy.deepcopy(TONE_ANSWER))
    trainer_grade = factory.LazyFunction(
        lambda: {"accuracy": {"points": 2, "rationale": "Right."}, "empathy": {"points": 3}}
    )


class GradingJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.GradingJob"

    submission = factory.SubFactory(SubmissionFactory)


class GradeFactory(factory.django.DjangoModelFactory):
    """One grader's grade of a submission (offline unless told), without criterion scores
    (add them with CriterionScoreFactory)."""

    class Meta:
        model = "grading.Grade"

    submission = factory.SubFactory(SubmissionFactory)
    grader = "offline"
    rubric_version = factory.SubFactory(RubricVersionFactory)
    total = 0.5


class StoredFinalGradeFactory(factory.django.DjangoModelFactory):
    """A stored final grade row as `final_grades_refresh` writes it (tests of readers that
    need rows without running the graders; writers' tests call the refresh itself)."""

    class Meta:
        model = "grading.StoredFinalGrade"

    submission = factory.SubFactory(SubmissionFactory)
    rubric_version = factory.SubFactory(RubricVersionFactory)
    total = 0.5
    source = "auto"
    released = True


class StoredFinalCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.StoredFinalCriterion"

    final = factory.SubFactory(StoredFinalGradeFactory)
    criterion_key = factory.Sequence(lambda n: f"criterion-{n}")
    title = factory.LazyAttribute(lambda o: o.criterion_key.replace("-", " ").title())
    points = 2
    fraction = factory.LazyAttribute(lambda o: o.points / 3)
    min_points = 0
    max_points = 3
    source = "auto"
    auto_points = 2


class CriterionScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.CriterionScore"

    grade = factory.SubFactory(GradeFactory)
    criterion_key = factory.Sequence(lambda n: f"criterion-{n}")
    points = 2
    max_points = 3
    rationale = factory.LazyAttribute(lambda o: f"{o.grade.grader} on {o.criterion_key}")


class FlagFactory(factory.django.DjangoModelFactory):
    """An open flag on a submission (pass submission=None, reviewer=... for one on a
    reviewer)."""

    class Meta:
        model = "grading.Flag"

    submission = factory.SubFactory(SubmissionFactory)
    reason = "grader_error"
    detail = "Something to look at."


class LLMResponseCacheFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.LLMResponseCache"

    key = factory.Sequence(lambda n: f"{n:064x}")
    result = factory.LazyFunction(lambda: {"criteria": {}})
    model_name = "fake-grader-1"


# ---- grading: the trainer console -------------------------------------------------------


class CohortGradingSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.CohortGradingSettings"

    cohort = factory.SubFactory(CohortFactory)


class AuditDrawFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.AuditDraw"

    submission = factory.SubFactory(SubmissionFactory)
    cohort = factory.SubFactory(CohortFactory)
    sampled = True
    rate = 0.12


class QueueItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.QueueItem"

    submission = factory.SubFactory(SubmissionFactory)


class TrainerReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerReview"

    submission = factory.SubFactory(SubmissionFactory)
    trainer = factory.SubFactory(TrainerFactory)
    rubric_version = factory.SubFactory(RubricVersionFactory)
    total = 0.5


class TrainerScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerScore"

    review = factory.SubFactory(TrainerReviewFactory)
    criterion_key = factory.Sequence(lambda n: f"criterion-{n}")
    points = 2
    max_points = 3


class GradeOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.GradeOverride"

    review = factory.SubFactory(TrainerReviewFactory)
    submission = factory.SelfAttribute("review.submission")
    trainer = factory.SelfAttribute("review.trainer")
    criterion_key = "accuracy"
    from_source = "auto"
    from_points = 1
    to_points = 2
    auto_points = 1
    reason = "The draft's price is right after all."


class GradeReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.GradeRelease"

    submission = factory.SubFactory(SubmissionFactory)
    released_by = factory.SubFactory(TrainerFactory)


class TrainerCalibrationSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerCalibrationSession"

    cohort = factory.SubFactory(CohortFactory)
    title = "Trainer calibration round"
    created_by = factory.SubFactory(TrainerFactory)


class TrainerCalibrationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerCalibrationItem"

    session = factory.SubFactory(TrainerCalibrationSessionFactory)
    submission = factory.SubFactory(SubmissionFactory)
    order = factory.Sequence(lambda n: n)


class TrainerCalibrationParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerCalibrationParticipant"

    session = factory.SubFactory(TrainerCalibrationSessionFactory)
    trainer = factory.SubFactory(TrainerFactory)


class TrainerCalibrationScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerCalibrationScore"

    participant = factory.SubFactory(TrainerCalibrationParticipantFactory)
    item = factory.SubFactory(
        TrainerCalibrationItemFactory, session=factory.SelfAttribute("..participant.session")
    )
    criterion_key = "accuracy"
    points = 2


# ---- grading: the calibration loop ----------------------------------------------------------


class CalibrationFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.CalibrationFlag"

    submission = factory.SubFactory(SubmissionFactory)
    cohort = factory.SubFactory(CohortFactory)
    flagged_by = factory.SubFactory(TrainerFactory)
    kind = "exemplary"
    criterion_key = "empathy"
    note = "Names the deadline and what happens next."


class TrainerCalibrationCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerCalibrationComment"

    item = factory.SubFactory(TrainerCalibrationItemFactory)
    author = factory.SelfAttribute("item.session.created_by")
    body = "The apology comes before the fix, which is what makes it land."


class TrainerCalibrationAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerCalibrationAgreement"

    item = factory.SubFactory(TrainerCalibrationItemFactory)
    criterion_key = factory.Sequence(lambda n: f"criterion-{n}")
    points = 2
    recorded_by = factory.SelfAttribute("item.session.created_by")


class TrainerCalibrationEscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.TrainerCalibrationEscalation"

    item = factory.SubFactory(TrainerCalibrationItemFactory)
    raised_by = factory.SelfAttribute("item.session.created_by")
    lead = factory.SubFactory(TrainerFactory)
    reason = "We stay one level apart on empathy."


class PublishedExampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.PublishedExample"

    item = factory.SubFactory(TrainerCalibrationItemFactory)
    submission = factory.SelfAttribute("item.submission")
    exercise = factory.SelfAttribute("item.submission.exercise")
    example = factory.SubFactory(
        ExampleSubmissionFactory, exercise=factory.SelfAttribute("..exercise")
    )
    kind = "exemplary"
    title = "Acknowledges the deadline first"
    commentary = "It names the **4pm cut-off** before anything else."
    agreed = factory.LazyFunction(lambda: {"accuracy": 2, "empathy": 3})
    published_by = factory.SelfAttribute("item.session.created_by")


# ---- grading: peer review ---------------------------------------------------------------


class PeerQueueEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.PeerQueueEntry"

    submission = factory.SubFactory(SubmissionFactory)
    exercise = factory.SelfAttribute("submission.exercise")
    author = factory.SelfAttribute("submission.user")
    required = 2
    submitted_at = factory.LazyFunction(_now)


class PeerReviewFactory(factory.django.DjangoModelFactory):
    """A peer review in progress; `completed=True` for a handed-in one (add its scores with
    PeerScoreFactory)."""

    class Meta:
        model = "grading.PeerReview"

    class Params:
        completed = factory.Trait(status="completed", completed_at=factory.LazyFunction(_now))

    submission = factory.SubFactory(SubmissionFactory)
    exercise = factory.SelfAttribute("submission.exercise")
    reviewer = factory.SubFactory(UserFactory)
    rubric_version = factory.SubFactory(RubricVersionFactory)


class PeerScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.PeerScore"

    review = factory.SubFactory(PeerReviewFactory)
    criterion_key = factory.Sequence(lambda n: f"criterion-{n}")
    points = 2
    min_points = 0
    max_points = 3


class InlineCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.InlineComment"

    review = factory.SubFactory(PeerReviewFactory)
    field = "reply"
    start = 0
    end = 8
    quote = "Hi Derek"
    body = "A good, personal opening."


class ReviewerCalibrationAttemptFactory(factory.django.DjangoModelFactory):
    """A reviewer's scoring of a trainer-graded example (passed unless told)."""

    class Meta:
        model = "grading.CalibrationAttempt"

    reviewer = factory.SubFactory(UserFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    example = factory.SubFactory(
        ExampleSubmissionFactory, exercise=factory.SelfAttribute("..exercise")
    )
    scores = factory.LazyFunction(lambda: {"accuracy": 2, "empathy": 3})
    error = 0.1
    passed = True


# ---- support-floor impact: imports and API tokens ---------------------------------------


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "impact.ImportJob"

    created_by = factory.SubFactory(SupportLeaderFactory)
    source = "api"
    status = "done"


class ImportRejectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "impact.ImportRejection"

    job = factory.SubFactory(ImportJobFactory)
    line_number = factory.Sequence(lambda n: n + 2)
    ticket_id = factory.Sequence(lambda n: f"T-BAD-{n}")
    reason = "csat: must be 1 to 5"
    raw = "T-BAD,agent@example.com,...,9"


class ApiTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "impact.ApiToken"

    user = factory.SubFactory(SupportLeaderFactory)
    name = "Help desk export"
    key_hash = factory.Sequence(lambda n: f"{n:064x}")
    prefix = factory.Sequence(lambda n: f"cl_{n:04d}")


class DraftFactFactory(factory.django.DjangoModelFactory):
    """A studio draft of a knowledge-base fact (valid against the shipped knowledge base)."""

    class Meta:
        model = DraftFact

    slug = factory.Sequence(lambda n: f"draft-fact-{n}")
    category = "not_offered"
    title = factory.Sequence(lambda n: f"Draft fact {n}")
    statement = "There is no kiosk mode."
    source_url = "https://help.tallyfront.example/faq/kiosk"
    data = factory.LazyFunction(lambda: {"thing": "kiosk mode", "aliases": ["kiosk"]})
    created_by = factory.SubFactory(TrainerFactory)


class PeerDisputeDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grading.PeerDisputeDecision"

    review = factory.SubFactory(PeerReviewFactory, completed=True)
    trainer = factory.SubFactory(TrainerFactory)
    outcome = "dismissed"
    note = "The review's scores match the rubric's levels."


# ---- authoring: scenario drafts, rubric changes, re-grade marks ---------------------------


class ScenarioDraftFactory(factory.django.DjangoModelFactory):
    """A draft tone scenario (incomplete: the editor's validation lists what is missing)."""

    class Meta:
        model = "authoring.ScenarioDraft"

    slug = factory.Sequence(lambda n: f"draft-scenario-{n}")
    type = "tone"
    title = factory.Sequence(lambda n: f"Draft scenario {n}")
    data = factory.LazyAttribute(
        lambda o: {"id": o.slug, "type": o.type, "title": o.title, "message": "Help!"}
    )
    created_by = factory.SubFactory(TrainerFactory)


class RubricChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "authoring.RubricChange"

    from_version = factory.SubFactory(RubricVersionFactory)
    rubric = factory.LazyAttribute(lambda o: o.from_version.rubric)
    to_version = factory.LazyAttribute(lambda o: o.from_version)
    kind = "wording"
    summary = factory.LazyFunction(lambda: ["accuracy: wording"])


class RegradeMarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "authoring.RegradeMark"

    submission = factory.SubFactory(SubmissionFactory)
    from_version = factory.SubFactory(RubricVersionFactory)
    to_version = factory.SubFactory(
        RubricVersionFactory, rubric=factory.SelfAttribute("..from_version.rubric"), number=2
    )
    previous = factory.LazyFunction(lambda: {"grades": []})
