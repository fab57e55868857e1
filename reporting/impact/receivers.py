"""The impact app's answers to the signals of the layers below (connected in ImpactConfig)."""

from django.urls import reverse

from curriculum.signals import PageLink

from . import access as impact_access


def cohort_page_impact_links(sender, *, user, cohort, **kwargs) -> list[PageLink]:
    """The cohort's impact dashboard and settings, linked from the cohort page
    (curriculum.signals.cohort_page_links), for those who may open them."""
    if not impact_access.can_use_impact(user):
        return []
    return [
        PageLink("Impact", reverse("impact:cohort-dashboard", args=[cohort.slug])),
        PageLink("Impact settings", reverse("impact:cohort-settings", args=[cohort.slug])),
    ]
