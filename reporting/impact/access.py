"""Access rules of the support-floor impact models, registered into `curriculum.access` by
`ImpactConfig.ready()`.

The impact pages are for support leaders, trainers and staff; agents never see them. A
trainer sees the cohorts they train, a leader the cohorts they lead, staff all.
"""

from django.db.models import Q

from curriculum import access
from curriculum.models import Cohort

IMPORT_ANY_AGENT_PERMISSION = "impact.import_ticket_metrics"


def can_use_impact(user) -> bool:
    """Support leaders, trainers and staff."""
    return access.is_trainer(user) or access.is_support_leader(user)


def impact_cohorts_q(user) -> Q:
    """Filter on Cohort: the cohorts whose impact `user` may see (may need .distinct())."""
    if not can_use_impact(user):
        return Q(pk__in=[])
    if access.is_staff(user):
        return Q()
    allowed = Q(pk__in=[])
    if access.is_trainer(user):
        allowed |= Q(trainers=user)
    if access.is_support_leader(user):
        allowed |= Q(impact__leaders=user)
    return allowed


def impact_imports_any_agent(user) -> bool:
    """Staff and holders of the import permission may import tickets of any agent; everyone
    else only tickets of agents in the cohorts whose impact they see."""
    return bool(access.is_staff(user) or user.has_perm(IMPORT_ANY_AGENT_PERMISSION))


def _cohort_impact_view(user, impact) -> bool:
    """Leaders and the cohort's trainers see and tune targets, thresholds and dates."""
    if not can_use_impact(user):
        return False
    if access.is_staff(user):
        return True
    if access.is_trainer(user) and impact.cohort.trainers.filter(pk=user.pk).exists():
        return True
    return bool(
        impact.pk is not None
        and access.is_support_leader(user)
        and impact.leaders.filter(pk=user.pk).exists()
    )


def _import_job_view(user, job) -> bool:
    return can_use_impact(user) and (access.is_staff(user) or job.created_by_id == user.pk)


def _rejection_view(user, rejection) -> bool:
    return _import_job_view(user, rejection.job)


def _ticket_view(user, metric) -> bool:
    """An agent's floor metrics: for those who see the impact of a cohort of that agent."""
    if not can_use_impact(user):
        return False
    if access.is_staff(user):
        return True
    visible = Cohort.objects.filter(impact_cohorts_q(user), memberships__user_id=metric.agent_id)
    return visible.exists()


def _token_owner(user, token) -> bool:
    return token.user_id == user.pk or access.is_staff(user)


def register_rules() -> None:
    access.register("impact.CohortImpact", view=_cohort_impact_view, change=_cohort_impact_view)
    # An import is a record of what happened: nobody edits it or its rejected rows.
    access.register("impact.ImportJob", view=_import_job_view, change=access.never)
    access.register("impact.ImportRejection", view=_rejection_view, change=access.never)
    # Ticket rows change only by a new import (an upsert), never by hand.
    access.register("impact.TicketMetric", view=_ticket_view, change=access.never)
    access.register("impact.ApiToken", view=_token_owner, change=_token_owner)
