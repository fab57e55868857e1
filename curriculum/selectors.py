"""Read operations of the base app, shaped for the pages that use them."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .access import is_staff, require_change
from .dates import format_when
from .errors import (
    InvitationError,
    InvitationExpiredError,
    InvitationInvalidError,
    InvitationUsedError,
)
from .markdown import render_markdown
from .models import Cohort, Exercise, Invitation, Lesson, Membership, Module, User
from .signals import (
    PageLink,
    PageSection,
    cohort_page_links,
    cohort_page_sections,
    lesson_page_sections,
    links_from,
    sections_from,
)


def cohort_list_for_agent(*, user: User) -> QuerySet[Cohort]:
    return (
        Cohort.objects.filter(memberships__user=user, archived_at__isnull=True)
        .prefetch_related("trainers")
        .order_by("name")
    )


def cohort_list_for_trainer(*, user: User) -> QuerySet[Cohort]:
    """Cohorts a trainer runs (staff see all), with their agent counts."""
    cohorts = Cohort.objects.all() if is_staff(user) else Cohort.objects.filter(trainers=user)
    return cohorts.annotate(
        agent_count=Count("memberships", distinct=True),
    ).order_by(F("archived_at").asc(nulls_first=True), "name")


def module_list() -> QuerySet[Module]:
    """Active modules with counts of their active lessons and exercises."""
    return (
        Module.objects.filter(retired_at__isnull=True)
        .annotate(
            lesson_count=Count(
                "lessons", filter=Q(lessons__retired_at__isnull=True), distinct=True
            ),
            exercise_count=Count(
                "exercises", filter=Q(exercises__retired_at__isnull=True), distinct=True
            ),
        )
        .order_by("order", "title")
    )


def module_get(*, slug: str) -> Module:
    """An active module with its active lessons and exercises prefetched; 404 otherwise."""
    return get_object_or_404(
        Module.objects.filter(retired_at__isnull=True).prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.filter(retired_at__isnull=True)),
            Prefetch(
                "exercises",
                queryset=Exercise.objects.filter(retired_at__isnull=True).annotate(
                    scenario_count=Count("scenario_links", distinct=True)
                ),
            ),
        ),
        slug=slug,
    )


def lesson_page_sections_for(*, user: User, lesson: Lesson) -> list[PageSection]:
    """What the apps above add under a lesson (grading: its module's published examples)."""
    return sections_from(lesson_page_sections.send(sender=Lesson, user=user, lesson=lesson))


def lesson_get(*, module_slug: str, slug: str) -> Lesson:
    return get_object_or_404(
        Lesson.objects.select_related("module").filter(
            retired_at__isnull=True, module__retired_at__isnull=True
        ),
        module__slug=module_slug,
        slug=slug,
    )


# ---- cohorts (the trainer console) --------------------------------------------------------


def _pending_invitations(now: datetime) -> Subquery:
    return Coalesce(
        Subquery(
            Invitation.objects.filter(
                cohort=OuterRef("pk"), accepted_at__isnull=True, expires_at__gt=now
            )
            .order_by()
            .values("cohort")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def cohort_list_for_console(*, user: User) -> QuerySet[Cohort]:
    """The cohorts page: what `user` runs (staff: all), with agent and open-invitation
    counts and the trainers, in two queries however many cohorts and agents there are."""
    return (
        cohort_list_for_trainer(user=user)
        .annotate(pending_count=_pending_invitations(timezone.now()))
        .prefetch_related(Prefetch("trainers", queryset=User.objects.order_by("email")))
    )


def cohort_get_for_trainer(*, user: User, slug: str) -> Cohort:
    """A cohort `user` may manage (its trainers, staff); 404 if missing, 403 otherwise."""
    cohort = get_object_or_404(Cohort, slug=slug)
    require_change(user, cohort)
    return cohort


def membership_get_for_trainer(*, user: User, slug: str, user_id: int) -> Membership:
    """An agent's place in a cohort `user` manages; 404 when they are not in it."""
    cohort = cohort_get_for_trainer(user=user, slug=slug)
    return get_object_or_404(
        Membership.objects.select_related("user", "cohort"), cohort=cohort, user_id=user_id
    )


@dataclass
class CohortPage:
    cohort: Cohort
    trainers: list[User]
    memberships: list[Membership]
    invitations: list[Invitation]
    sections: list[PageSection]
    now: datetime
    links: list[PageLink] = ()

    @property
    def agent_count(self) -> int:
        return len(self.memberships)

    @property
    def description_html(self) -> SafeString:
        """The trainer's Markdown description, rendered and sanitised."""
        # render_markdown sanitises with bleach, so its output is safe to mark safe.
        return mark_safe(render_markdown(self.cohort.description))  # noqa: S308


def cohort_page(*, user: User, slug: str) -> CohortPage:
    """Everything the cohort page shows, in a fixed number of queries."""
    cohort = cohort_get_for_trainer(user=user, slug=slug)
    sections = sections_from(cohort_page_sections.send(sender=Cohort, user=user, cohort=cohort))
    links = links_from(cohort_page_links.send(sender=Cohort, user=user, cohort=cohort))
    return CohortPage(
        cohort=cohort,
        trainers=list(cohort.trainers.order_by("full_name", "email")),
        memberships=list(
            cohort.memberships.select_related("user").order_by("user__full_name", "user__email")
        ),
        invitations=list(cohort.invitations.filter(accepted_at__isnull=True).order_by("email")),
        sections=sections,
        now=timezone.now(),
        links=links,
    )


def invitation_get_for_trainer(*, user: User, cohort: Cohort, invitation_id: int) -> Invitation:
    invitation = get_object_or_404(
        Invitation.objects.select_related("cohort"), pk=invitation_id, cohort=cohort
    )
    require_change(user, invitation)
    return invitation


def invitation_check(invitation: Invitation | None, *, now: datetime | None = None) -> Invitation:
    """The invitation if it can still be accepted; raises the InvitationError that says why not."""
    if invitation is None:
        raise InvitationInvalidError(
            "The link may be incomplete, or the invitation was withdrawn or replaced by a newer "
            "one. Check the latest email from your trainer, or ask them to invite you again."
        )
    if invitation.is_accepted:
        raise InvitationUsedError(
            f"It was accepted on {format_when(invitation.accepted_at, 'date')}. "
            "If that was you, log in to find your training.",
            invitation=invitation,
        )
    if invitation.is_expired(now):
        raise InvitationExpiredError(
            f"It expired on {format_when(invitation.expires_at)}. "
            "Ask your trainer to send you a new invitation.",
            invitation=invitation,
        )
    if invitation.cohort.is_archived:
        raise InvitationError(
            f"{invitation.cohort.name} has been archived. Ask your trainer which cohort to join.",
            invitation=invitation,
        )
    return invitation


def invitation_get_usable(*, token: str, for_update: bool = False) -> Invitation:
    """The invitation behind a link, if it can still be accepted; raises the InvitationError
    that says why not (invalid, used, expired, archived cohort)."""
    invitations = Invitation.objects.select_related("cohort")
    if for_update:
        invitations = invitations.select_for_update(of=("self",))
    return invitation_check(invitations.filter(token=token).first())


@dataclass(frozen=True)
class PendingInvitation:
    invitation: Invitation
    address_confirmed: bool  # may join from the home page (else: through the email's link)


def invitations_pending_for_user(*, user: User) -> list[PendingInvitation]:
    """Open invitations sent to `user`'s address (still valid, cohort active, not yet a
    member): an agent who signed up from the navigation instead of the link is told.
    Two queries."""
    from allauth.account.models import EmailAddress

    if not user.is_authenticated or not user.email:
        return []
    invitations = list(
        Invitation.objects.select_related("cohort", "invited_by")
        .filter(
            email__iexact=user.email,
            accepted_at__isnull=True,
            expires_at__gt=timezone.now(),
            cohort__archived_at__isnull=True,
        )
        .exclude(cohort__memberships__user=user)
        .order_by("cohort__name")
    )
    if not invitations:
        return []
    confirmed = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    return [PendingInvitation(invitation, confirmed) for invitation in invitations]


def user_exists(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()
