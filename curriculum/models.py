"""People and cohorts: the custom user, roles, cohorts and their memberships."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from .dates import validate_time_zone
from .roles import (  # noqa: F401 - TRAINERS_GROUP re-exported
    TRAINERS_GROUP,
    Role,
    user_has_role,
    user_roles_forget,
)


class UserManager(BaseUserManager):
    """Users log in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    # An IANA name ("Europe/Berlin"); blank means the site's TIME_ZONE. Set from the
    # browser at sign-up and on accepting an invitation, changed on the profile page.
    time_zone = models.CharField(
        "time zone", max_length=64, blank=True, validators=[validate_time_zone]
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.display_name

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        user_roles_forget(self)  # the groups or is_staff may have changed

    @property
    def is_trainer(self) -> bool:
        """Trainers are staff or members of the Trainers group (see curriculum.roles)."""
        return user_has_role(self, Role.TRAINER)


class Cohort(models.Model):
    """A group of agents trained together, run by one or more trainers."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    trainers = models.ManyToManyField(User, related_name="trained_cohorts", blank=True)
    agents = models.ManyToManyField(User, through="Membership", related_name="cohorts", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Two active cohorts called alike look the same in every list (the service
            # refuses it with a message; this closes the race of two trainers at once).
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(archived_at__isnull=True),
                name="cohort_active_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Membership(models.Model):
    """An agent's place in a cohort."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cohort", "user"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort}"


class Invitation(models.Model):
    """An emailed link that lets one person join a cohort as an agent.

    The token is stored as issued (not hashed) on purpose: with the console email backend
    of the embedded default a trainer must be able to copy the link from the cohort page.
    It grants no more than joining this cohort, only for the invited address, until it
    expires or is used.
    """

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address and cohort; inviting again renews it.
            models.UniqueConstraint(
                "cohort",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True),
                name="invitation_pending_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.cohort}"

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None

    def is_expired(self, now=None) -> bool:
        return not self.is_accepted and (now or timezone.now()) >= self.expires_at


class VersionedContent(models.Model):
    """An authored content item loaded from `fixtures/`.

    `version` goes up each time the item's content hash changes on load; items removed
    from the files are retired (`retired_at`), never deleted, so nothing that refers to
    them breaks.
    """

    slug = models.SlugField(max_length=120, unique=True)
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64)
    source_path = models.CharField(max_length=300, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class ExerciseType(models.TextChoices):
    TONE = "tone", "Tone calibration"
    AUDIT = "audit", "Accuracy audit"
    CONTEXT = "context", "Context management"
    EMPATHY = "empathy", "Empathy"
    ESCALATION = "escalation", "Escalation"
    RCA = "rca", "Root cause analysis report"


class Module(VersionedContent):
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    summary_html = models.TextField(blank=True, editable=False)
    skills = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title


class Lesson(VersionedContent):
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="lessons")
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=5)
    body = models.TextField()
    body_html = models.TextField(editable=False)

    class Meta:
        ordering = ["module__order", "order", "title"]

    def __str__(self) -> str:
        return self.title


class Exercise(VersionedContent):
    """A graded exercise: a type, a rubric (by slug; rubrics live in `grading`), steps."""

    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="exercises")
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=20, choices=ExerciseType.choices)
    rubric_slug = models.SlugField(max_length=120)
    instructions = models.TextField(blank=True)
    instructions_html = models.TextField(blank=True, editable=False)
    steps = models.JSONField(default=list)
    settings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["module__order", "order", "title"]

    def __str__(self) -> str:
        return self.title

    DEFAULT_SETTINGS = {
        "max_submissions": 3,
        "reply_max_words": 250,
        "peer_reviews_required": 0,
        "peer_reviews_to_give": 0,
        "self_assessment": False,
        # Peer review (grading/peer): see docs/content-spec.md.
        "peer_review_hours": 48,
        "peer_calibration": False,
        "peer_calibration_tolerance": 0.2,
        "peer_weighting": "median",
        "peer_disagreement_threshold": 0.34,
        "peer_wait_hours": 72,
        "peer_wait_action": "trainer",
    }

    def setting(self, name: str):
        return self.settings.get(name, self.DEFAULT_SETTINGS[name])
