"""The support leader's pages: imports, the cohort and agent dashboards, the JSON endpoint."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from curriculum import access
from curriculum.json_input import JSONInputError, json_loads_limited
from curriculum.models import Module, User

from . import access as impact_access
from . import charts, report, selectors, services
from .alerts import ALERT_MODULES, alerts_compute
from .forms import (
    CohortImpactForm,
    ImportUploadForm,
    PeriodForm,
    TicketFilterForm,
    date_param,
    upload_too_large_message,
)
from .models import ImportJob
from .rows import FIELDS, REQUIRED_FIELDS
from .signals import SESSION_KEY

UPLOAD_FORM_OVERHEAD = 64 * 1024


def impact_required(view):
    """Support leaders, trainers and staff only; agents get 403 on every impact page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not impact_access.can_use_impact(request.user):
            raise PermissionDenied("The impact pages are for support leaders and trainers.")
        if not request.session.get(SESSION_KEY):
            request.session[SESSION_KEY] = True  # shows the nav link from now on
        return view(request, *args, **kwargs)

    return wrapped


@impact_required
def home(request):
    context = {
        "cohorts": selectors.cohort_list_for_impact(user=request.user),
        "imports": selectors.import_job_list_for_user(user=request.user),
        "form": ImportUploadForm(),
        "fields": FIELDS,
        "required": REQUIRED_FIELDS,
    }
    return render(request, "impact/home.html", context)


@impact_required
@require_POST
def import_create(request):
    limit = settings.IMPACT_UPLOAD_MAX_BYTES
    # The form's overhead is a few hundred bytes: refuse a body well over the limit before
    # receiving the file at all.
    if _content_length(request) > limit + UPLOAD_FORM_OVERHEAD:
        messages.error(request, upload_too_large_message(None, limit))
        return redirect("impact:home")
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {
            "cohorts": selectors.cohort_list_for_impact(user=request.user),
            "imports": selectors.import_job_list_for_user(user=request.user),
            "form": form,
            "fields": FIELDS,
            "required": REQUIRED_FIELDS,
        }
        return render(request, "impact/home.html", context, status=400)
    job = services.import_job_create(user=request.user, upload=form.cleaned_data["file"])
    return redirect("impact:import-detail", job_id=job.pk)


@impact_required
def import_detail(request, job_id):
    job = selectors.import_job_get_for_viewer(user=request.user, job_id=job_id)
    if request.GET.get("format") == "json":
        return JsonResponse(_job_status(job))
    rejections = list(job.rejections.all()[:200])
    return render(request, "impact/import_detail.html", {"job": job, "rejections": rejections})


def _job_status(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "finished": job.is_finished,
        "percent": job.percent,
        "rows_seen": job.rows_seen,
        "rows_created": job.rows_created,
        "rows_updated": job.rows_updated,
        "rows_rejected": job.rows_rejected,
        "error": job.error,
    }


@impact_required
def import_rejections_csv(request, job_id):
    job = selectors.import_job_get_for_viewer(user=request.user, job_id=job_id)
    table = charts.ChartTable(
        "rejections",
        "Rejected rows",
        ["line", "ticket_id", "reason", "raw"],
        [[r.line_number, r.ticket_id, r.reason, r.raw] for r in job.rejections.all()],
    )
    return _csv_response(table.to_csv(), f"import-{job.pk}-rejected-rows.csv")


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _period(request, impact):
    form = PeriodForm(request.GET or None)
    default = selectors.period_default(impact=impact)
    return form, form.window(default)


def _period_query(period) -> str:
    return urlencode({"date_from": date_param(period.start), "date_to": date_param(period.end)})


def _dashboard(request, slug, agent_id=None):
    impact = selectors.cohort_impact_get_for_viewer(user=request.user, slug=slug)
    agent = selectors.cohort_agent_get(impact=impact, agent_id=agent_id) if agent_id else None
    form, period = _period(request, impact)
    summary = selectors.impact_summary(impact=impact, period=period, agent_id=agent_id)
    tables = report.chart_tables(summary, agent_id=agent_id)
    alerts = alerts_compute(summary, agent_id=agent_id)
    modules = {
        m.slug: m
        for m in Module.objects.filter(slug__in=set(ALERT_MODULES.values())).only("slug", "title")
    }
    if agent:
        before = summary.agent(agent.pk, selectors.BASELINE)
        after = summary.agent(agent.pk, selectors.PERIOD)
    else:
        before, after = summary.team[selectors.BASELINE], summary.team[selectors.PERIOD]
    rows = report.comparison_rows(before, after, impact=impact)
    team_rows = (
        report.comparison_rows(
            summary.team[selectors.BASELINE], summary.team[selectors.PERIOD], impact=impact
        )
        if agent
        else None
    )
    svgs = report.chart_svgs(tables, summary, agent_name=agent.display_name if agent else None)
    period_query = _period_query(period)
    context = {
        "impact": impact,
        "cohort": impact.cohort,
        "agent": agent,
        "form": form,
        "summary": summary,
        "period": period,
        "period_query": period_query,
        "comparison": list(zip(rows, team_rows or [None] * len(rows), strict=True)),
        "agent_rows": report.agent_rows(summary),
        "capacity": None if agent else report.capacity(summary),
        # Template variables cannot contain "-": chart names use "_" there.
        "tables": {name.replace("-", "_"): table for name, table in tables.items()},
        "svgs": {name.replace("-", "_"): svg for name, svg in svgs.items()},
        "alerts": [
            (alert, modules.get(alert.module_slug), _ticket_link(impact, alert, period_query))
            for alert in alerts
        ],
        "after_tickets": after.total.n,
        "before_tickets": before.total.n,
        "can_change": access.can_change(request.user, impact),
    }
    return render(request, "impact/dashboard.html", context)


def _ticket_link(impact, alert, period_query: str) -> str:
    url = reverse("impact:ticket-list", kwargs={"slug": impact.cohort.slug})
    return f"{url}?{urlencode(alert.ticket_filter)}&{period_query}"


@impact_required
def cohort_dashboard(request, slug):
    return _dashboard(request, slug)


@impact_required
def agent_dashboard(request, slug, agent_id):
    return _dashboard(request, slug, agent_id=agent_id)


@impact_required
def chart_csv(request, slug, chart):
    if chart not in report.CHART_NAMES:
        raise Http404("No such chart.")
    impact = selectors.cohort_impact_get_for_viewer(user=request.user, slug=slug)
    agent_id = request.GET.get("agent")
    agent = None
    if agent_id:
        if not agent_id.isdigit():
            raise Http404("No such agent in this cohort.")
        agent = selectors.cohort_agent_get(impact=impact, agent_id=int(agent_id))
    _, period = _period(request, impact)
    summary = selectors.impact_summary(
        impact=impact, period=period, agent_id=agent.pk if agent else None
    )
    table = report.chart_tables(summary, agent_id=agent.pk if agent else None)[chart]
    who = f"-agent-{agent.pk}" if agent else ""
    filename = f"{impact.cohort.slug}{who}-{chart}-{period.start}-{period.end}.csv"
    return _csv_response(table.to_csv(), filename)


@impact_required
def ticket_list(request, slug):
    impact = selectors.cohort_impact_get_for_viewer(user=request.user, slug=slug)
    filters = TicketFilterForm(request.GET or None)
    _, period = _period(request, impact)
    tickets = selectors.ticket_list_for_cohort(
        impact=impact, period=period, filters=filters.ticket_filter()
    )
    page = Paginator(tickets, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    all_agents = query.copy()
    all_agents.pop("agent", None)
    agent_id = (
        filters.cleaned_data.get("agent") if filters.is_bound and filters.is_valid() else None
    )
    context = {
        "impact": impact,
        "cohort": impact.cohort,
        "filters": filters,
        "agent": selectors.cohort_agent_find(impact=impact, agent_id=agent_id),
        "all_agents_query": all_agents.urlencode(),
        "period_query": _period_query(period),
        "period": period,
        "baseline": selectors.baseline_window(impact=impact),
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "impact/ticket_list.html", context)


@impact_required
@require_http_methods(["GET", "POST"])
def settings_edit(request, slug):
    impact = selectors.cohort_impact_get_for_viewer(user=request.user, slug=slug, change=True)
    form = CohortImpactForm(request.POST or None, instance=impact)
    if request.method == "POST" and form.is_valid():
        services.cohort_impact_update(cohort=impact.cohort, values=form.cleaned_data)
        messages.success(request, "Targets and thresholds saved.")
        return redirect("impact:cohort-dashboard", slug=impact.cohort.slug)
    status = 400 if request.method == "POST" else 200
    leaders = list(impact.leaders.all()) if impact.pk else []
    context = {"impact": impact, "cohort": impact.cohort, "form": form, "leaders": leaders}
    return render(request, "impact/settings_form.html", context, status=status)


@require_POST
def leaders_edit(request, slug):
    """Attach a support leader by email, or detach one, from the cohort settings page."""
    impact = selectors.cohort_impact_get_for_viewer(user=request.user, slug=slug, change=True)
    if request.POST.get("remove"):
        try:
            user_id = int(request.POST["remove"])
        except ValueError:
            return HttpResponseBadRequest("Unknown leader.")
        services.cohort_impact_remove_leader(cohort=impact.cohort, user_id=user_id)
        messages.success(request, "Leader removed from this cohort.")
        return redirect("impact:cohort-settings", slug=impact.cohort.slug)
    email = request.POST.get("email", "").strip()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is None:
        messages.error(
            request,
            f"No account uses {email or 'that address'}. Ask them to sign up first, then add them.",
        )
    else:
        try:
            services.cohort_impact_add_leader(cohort=impact.cohort, user=user)
        except services.LeaderNotAllowedError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"{user.display_name} is now a support leader of this cohort."
            )
    return redirect("impact:cohort-settings", slug=impact.cohort.slug)


# --- JSON endpoint -----------------------------------------------------------------


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _json_error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _api_user(request):
    """Bearer token, or the session (then CSRF applies as for any form post)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return None, _json_error(401, "Use 'Authorization: Bearer <token>'.")
        user = services.api_token_authenticate(raw_key=key)
        if user is None:
            return None, _json_error(401, "Unknown or revoked token.")
        return user, None
    if request.user.is_authenticated:
        rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if rejected is not None:
            return None, _json_error(403, "CSRF check failed; send the X-CSRFToken header.")
        return request.user, None
    return None, _json_error(401, "Authentication required: a bearer token or a session.")


@csrf_exempt
@login_not_required
@require_POST
def api_tickets(request):
    """POST {"tickets": [...]}: upsert ticket metrics by ticket id; returns the row report."""
    user, error = _api_user(request)
    if error:
        return error
    if not impact_access.can_use_impact(user):
        return _json_error(403, "Only support leaders, trainers and staff may import tickets.")
    limit = min(settings.IMPACT_API_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2**62)
    too_large = _json_error(
        413,
        f"The request is larger than {limit:,} bytes (IMPACT_API_MAX_BODY_BYTES); "
        "send at most 1,000 tickets per request.",
    )
    if _content_length(request) > limit:
        return too_large  # refused before reading the body
    try:
        body = request.body
    except RequestDataTooBig:
        return too_large
    if len(body) > limit:
        return too_large
    try:
        payload = json_loads_limited(body)
    except JSONInputError as exc:
        return _json_error(
            400, f'The JSON is {exc}; send {{"tickets": [{{field: value, ...}}, ...]}}.'
        )
    except (ValueError, UnicodeDecodeError):
        return _json_error(400, "The body is not valid JSON.")
    try:
        job, rejections = services.import_api_payload(user=user, payload=payload)
    except services.ImpactPayloadError as exc:
        return _json_error(400, str(exc), fields=list(FIELDS))
    return JsonResponse(
        {
            "import_id": job.pk,
            "received": job.rows_seen,
            "created": job.rows_created,
            "updated": job.rows_updated,
            "rejected": [
                {"index": r.line_number, "ticket_id": r.ticket_id, "reason": r.reason}
                for r in rejections
            ],
        },
        status=200,
    )
