"""Write operations of the base app: roles and the demo seed."""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from .models import TRAINERS_GROUP, Cohort, Membership, User

DEMO_PASSWORD = "coachline-demo"  # noqa: S105 - printed for the local demo on purpose
DEMO_TRAINER = ("trainer@coachline.example", "Tess Trainer")
DEMO_AGENTS = (
    ("ana@coachline.example", "Ana Alvarez"),
    ("ben@coachline.example", "Ben Okafor"),
    ("chloe@coachline.example", "Chloe Martin"),
)
DEMO_COHORT = ("demo-cohort", "Demo cohort")


@dataclass(frozen=True)
class DemoSeed:
    cohort: Cohort
    trainer: User
    agents: list[User]
    password: str


def user_grant_trainer(*, user: User) -> None:
    """Make a user a trainer (member of the Trainers group)."""
    group, _ = Group.objects.get_or_create(name=TRAINERS_GROUP)
    user.groups.add(group)
    if hasattr(user, "_is_trainer"):
        del user._is_trainer


def _demo_user(email: str, full_name: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic(durable=True)
def demo_seed() -> DemoSeed:
    """Create the demo trainer, agents and cohort; running it again changes nothing."""
    trainer = _demo_user(*DEMO_TRAINER)
    if not trainer.is_staff:
        trainer.is_staff = True
        trainer.save(update_fields=["is_staff"])
    user_grant_trainer(user=trainer)
    slug, name = DEMO_COHORT
    cohort, _ = Cohort.objects.get_or_create(
        slug=slug,
        defaults={"name": name, "description": "Agents on the demo floor, created by `make run`."},
    )
    cohort.trainers.add(trainer)
    agents = [_demo_user(email, full_name) for email, full_name in DEMO_AGENTS]
    for agent in agents:
        Membership.objects.get_or_create(cohort=cohort, user=agent)
    return DemoSeed(cohort=cohort, trainer=trainer, agents=agents, password=DEMO_PASSWORD)
