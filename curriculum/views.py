"""Landing page, curriculum pages and the cohort pages of the trainer console."""

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .access import agent_required, is_staff, trainer_required
from .dates import user_zone
from .errors import (
    CohortError,
    CohortImportError,
    CohortNameTakenError,
    CohortValidationError,
    InvitationError,
    InvitationUsedError,
)
from .forms import (
    CohortForm,
    InvitationAcceptForm,
    InvitationForm,
    InvitationImportForm,
    ProfileForm,
    TrainerAddForm,
)


@login_not_required
def landing(request):
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "curriculum/landing.html")


def module_list(request):
    return render(request, "curriculum/module_list.html", {"modules": selectors.module_list()})


def module_detail(request, slug):
    module = selectors.module_get(slug=slug)
    return render(request, "curriculum/module_detail.html", {"module": module})


def lesson_detail(request, module_slug, slug):
    lesson = selectors.lesson_get(module_slug=module_slug, slug=slug)
    siblings = list(lesson.module.lessons.filter(retired_at__isnull=True).only("slug", "title"))
    index = next(i for i, item in enumerate(siblings) if item.pk == lesson.pk)
    context = {
        "lesson": lesson,
        "module": lesson.module,
        "previous": siblings[index - 1] if index > 0 else None,
        "next": siblings[index + 1] if index + 1 < len(siblings) else None,
        "sections": selectors.lesson_page_sections_for(user=request.user, lesson=lesson),
    }
    return render(request, "curriculum/lesson_detail.html", context)


# ---- cohorts (the trainer console) --------------------------------------------------------


@trainer_required
def cohort_list(request):
    cohorts = selectors.cohort_list_for_console(user=request.user)
    return render(request, "curriculum/cohorts/cohort_list.html", {"cohorts": cohorts})


@trainer_required
@require_http_methods(["GET", "POST"])
def cohort_create(request):
    form = CohortForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                cohort = services.cohort_create(user=request.user, **form.cleaned_data)
            except CohortNameTakenError as exc:
                form.add_error("name", str(exc))
            else:
                messages.success(request, f"{cohort.name} is ready: invite its agents.")
                return redirect("cohorts:detail", slug=cohort.slug)
        return render(request, "curriculum/cohorts/cohort_form.html", {"form": form}, status=400)
    return render(request, "curriculum/cohorts/cohort_form.html", {"form": form})


def _render_cohort(request, slug, *, status=200, **forms):
    page = selectors.cohort_page(user=request.user, slug=slug)
    context = {
        "page": page,
        "cohort": page.cohort,
        "invite_form": forms.get("invite_form") or InvitationForm(),
        "import_form": forms.get("import_form") or InvitationImportForm(),
        "trainer_form": forms.get("trainer_form") or TrainerAddForm(),
        "open_form": forms.get("open_form", ""),
    }
    return render(request, "curriculum/cohorts/cohort_detail.html", context, status=status)


@trainer_required
def cohort_detail(request, slug):
    return _render_cohort(request, slug)


@trainer_required
@require_http_methods(["GET", "POST"])
def cohort_edit(request, slug):
    cohort = selectors.cohort_get_for_trainer(user=request.user, slug=slug)
    initial = {"name": cohort.name, "description": cohort.description}
    form = CohortForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.cohort_update(cohort=cohort, **form.cleaned_data)
            except CohortNameTakenError as exc:
                form.add_error("name", str(exc))
            else:
                messages.success(request, "Saved.")
                return redirect("cohorts:detail", slug=cohort.slug)
        status = 400
    else:
        status = 200
    context = {"form": form, "cohort": cohort}
    return render(request, "curriculum/cohorts/cohort_form.html", context, status=status)


@trainer_required
@require_POST
def cohort_archive(request, slug):
    cohort = selectors.cohort_get_for_trainer(user=request.user, slug=slug)
    archived = request.POST.get("archived") == "1"
    try:
        services.cohort_set_archived(cohort=cohort, archived=archived)
    except CohortNameTakenError as exc:
        messages.error(request, f"{exc} Rename this one first, then unarchive it.")
        return redirect("cohorts:detail", slug=cohort.slug)
    if archived:
        messages.success(request, f"{cohort.name} is archived: agents no longer see it.")
    else:
        messages.success(request, f"{cohort.name} is active again.")
    return redirect("cohorts:detail", slug=cohort.slug)


def _cohort_action(request, slug, action) -> HttpResponse:
    """Run a small POST action on a cohort the user manages; its error becomes a message."""
    cohort = selectors.cohort_get_for_trainer(user=request.user, slug=slug)
    try:
        message = action(cohort)
    except CohortError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("cohorts:detail", slug=cohort.slug)


@trainer_required
@require_POST
def invitation_create(request, slug):
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _render_cohort(request, slug, invite_form=form, open_form="invite", status=400)

    def invite(cohort):
        row = services.invitation_create(
            cohort=cohort,
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            invited_by=request.user,
        )
        detail = f" {row.detail}" if row.detail else ""
        message = f"{row.email}: {row.label.lower()}.{detail}"
        if not row.sent:  # already a member, or a trainer: nobody was invited
            raise CohortValidationError(message)
        return message

    return _cohort_action(request, slug, invite)


@trainer_required
@require_POST
def invitation_import(request, slug):
    cohort = selectors.cohort_get_for_trainer(user=request.user, slug=slug)
    form = InvitationImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            report = services.invitation_import(
                cohort=cohort, data=form.cleaned_data["file"].read(), invited_by=request.user
            )
        except CohortImportError as exc:
            form.add_error("file", str(exc))
        except CohortValidationError as exc:
            form.add_error(None, str(exc))
        else:
            context = {"cohort": cohort, "report": report}
            return render(request, "curriculum/cohorts/import_report.html", context)
    return _render_cohort(request, slug, import_form=form, open_form="import", status=400)


@trainer_required
@require_POST
def invitation_resend(request, slug, invitation_id):
    def resend(cohort):
        invitation = selectors.invitation_get_for_trainer(
            user=request.user, cohort=cohort, invitation_id=invitation_id
        )
        services.invitation_resend(invitation=invitation)
        return f"A new invitation link was sent to {invitation.email}."

    return _cohort_action(request, slug, resend)


@trainer_required
@require_POST
def invitation_revoke(request, slug, invitation_id):
    def revoke(cohort):
        invitation = selectors.invitation_get_for_trainer(
            user=request.user, cohort=cohort, invitation_id=invitation_id
        )
        services.invitation_revoke(invitation=invitation)
        return f"The invitation to {invitation.email} was withdrawn."

    return _cohort_action(request, slug, revoke)


@trainer_required
@require_http_methods(["GET", "POST"])
def agent_remove(request, slug, user_id):
    """GET asks the trainer to confirm (a misclick would cost the agent a new invitation);
    POST removes."""
    if request.method == "GET":
        membership = selectors.membership_get_for_trainer(
            user=request.user, slug=slug, user_id=user_id
        )
        return render(
            request, "curriculum/cohorts/agent_remove_confirm.html", {"membership": membership}
        )

    def remove(cohort):
        agent = services.cohort_agent_remove(cohort=cohort, user_id=user_id)
        return f"{agent.display_name} was removed from {cohort.name}."

    return _cohort_action(request, slug, remove)


@trainer_required
@require_POST
def trainer_add(request, slug):
    form = TrainerAddForm(request.POST)
    if not form.is_valid():
        return _render_cohort(request, slug, trainer_form=form, open_form="trainer", status=400)

    def add(cohort):
        trainer = services.cohort_trainer_add(cohort=cohort, email=form.cleaned_data["email"])
        return f"{trainer.display_name} now runs {cohort.name} with you."

    return _cohort_action(request, slug, add)


@trainer_required
@require_POST
def trainer_remove(request, slug, user_id):
    removed_self = False

    def remove(cohort):
        nonlocal removed_self
        services.cohort_trainer_remove(cohort=cohort, trainer_id=user_id)
        removed_self = user_id == request.user.pk
        return f"The trainer was removed from {cohort.name}."

    response = _cohort_action(request, slug, remove)
    if removed_self and not is_staff(request.user):
        # Whoever removed themselves can no longer open the cohort.
        return redirect("cohorts:list")
    return response


# ---- joining a cohort from an invitation ---------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The link in the invitation email. Anonymous visitors sign up (or log in) and come
    back here through `?next=`; signed-in agents join with one click."""
    try:
        invitation = selectors.invitation_get_usable(token=token)
    except InvitationError as exc:
        used_by_me = (
            isinstance(exc, InvitationUsedError)
            and request.user.is_authenticated
            and exc.invitation.accepted_by_id == request.user.pk
        )
        if used_by_me:
            messages.info(request, f"You are already in {exc.invitation.cohort.name}.")
            return redirect("home")
        context = {"error": exc, "invitation": exc.invitation}
        return render(
            request, "curriculum/cohorts/invitation_error.html", context, status=exc.http_status
        )
    if request.method == "POST" and request.user.is_authenticated:
        accept_form = InvitationAcceptForm(request.POST)
        accept_form.is_valid()  # the browser's zone or "": it never fails
        try:
            services.invitation_accept(
                token=token,
                user=request.user,
                time_zone=accept_form.cleaned_data.get("time_zone", ""),
            )
        except InvitationError as exc:
            context = {"error": exc, "invitation": invitation}
            return render(
                request,
                "curriculum/cohorts/invitation_error.html",
                context,
                status=exc.http_status,
            )
        messages.success(request, f"Welcome to {invitation.cohort.name}!")
        return redirect("home")
    if not request.user.is_authenticated:
        # The link came by email to this address: signing up with it needs no second
        # verification email (allauth's hook for invitations).
        get_account_adapter(request).stash_verified_email(request, invitation.email)
    here = reverse("cohorts:invitation-accept", args=[token])
    signup_query = urlencode({"email": invitation.email, "next": here})
    context = {
        "invitation": invitation,
        "has_account": selectors.user_exists(email=invitation.email),
        "signup_url": f"{reverse('account_signup')}?{signup_query}",
        "login_url": f"{reverse('account_login')}?{urlencode({'next': here})}",
        "email_matches": request.user.is_authenticated
        and request.user.email.lower() == invitation.email.lower(),
        "accept_form": InvitationAcceptForm(),
    }
    return render(request, "curriculum/cohorts/invitation_accept.html", context)


# ---- the profile: name and time zone -------------------------------------------------------


@require_http_methods(["GET", "POST"])
def profile(request):
    """The signed-in user's name and time zone (the zone every date is shown in)."""
    user = request.user
    initial = {"full_name": user.full_name, "time_zone": user_zone(user).key}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.user_profile_update(user=user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Your profile was saved.")
                return redirect("profile")
        status = 400
    else:
        status = 200
    context = {"form": form, "site_zone": settings.TIME_ZONE, "now": timezone.now()}
    return render(request, "curriculum/profile.html", context, status=status)


@login_not_required
def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the site's own page, with the navigation of whoever is logged in."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


@agent_required
@require_POST
def invitation_join_pending(request, invitation_id):
    """Join, from the agent's home, a cohort whose invitation was sent to their (confirmed)
    address: for agents who signed up from the navigation rather than the link."""
    try:
        membership = services.invitation_accept_pending(
            user=request.user, invitation_id=invitation_id
        )
    except InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Welcome to {membership.cohort.name}!")
    return redirect("home")
