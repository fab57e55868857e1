"""factory-boy factories for every model, kept in one place."""

import uuid
from functools import cache
from pathlib import Path

import factory
import yaml
from django.conf import settings
from django.contrib.auth.models import Group

from curriculum.models import TRAINERS_GROUP, Cohort, Exercise, Membership, Module, User
from exercises.models import (
    DraftRequest,
    ExerciseScenario,
    KnowledgeFact,
    Scenario,
    ScenarioVersion,
    Submission,
    Workspace,
)

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


class DraftRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DraftRequest

    workspace = factory.SubFactory(WorkspaceFactory)
    prompt = "Write a reply."
    status = DraftRequest.Status.DONE
    source = DraftRequest.Source.AUTHORED
    text = "Hello, this is the AI draft."


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A stored submission; it bypasses the services (use them to test submitting)."""

    class Meta:
        model = Submission

    user = factory.SubFactory(UserFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    scenario = factory.LazyFunction(lambda: scenario_from_fixture("tone-charged-twice-caps"))
    scenario_version = factory.LazyAttribute(lambda o: o.scenario.versions.first())
    exercise_version = 1
    attempt = factory.Sequence(lambda n: n + 1)
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
