"""Signals of the base layer: where the apps above take part without being imported.

Each app above connects its receivers in its AppConfig.ready(), so they run in the order of
INSTALLED_APPS (exercises before grading). A receiver's return value is its answer:
`Signal.send()` gives (receiver, response) pairs.
"""

from dataclasses import dataclass, field

from django.dispatch import Signal


@dataclass(frozen=True)
class PageSection:
    """A part of a page contributed by an app above the one that draws the page: a template
    and its context. Render it with `{% load page_sections %}{% page_section section %}`."""

    template: str
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PageLink:
    """A link to a page of an app above, for a lower app's page to show (by URL, so the
    lower app never names the higher one's routes)."""

    label: str
    url: str


# Sent by curriculum.services.demo_seed inside its transaction, with cohort= and trainer=:
# each receiver adds its app's demo data, idempotently. Responses are ignored.
demo_seeded = Signal()

# Sent by curriculum.selectors.cohort_page with user= and cohort=: each receiver answers with
# a PageSection of the cohort page (or None to add nothing).
cohort_page_sections = Signal()

# Sent by curriculum.selectors.cohort_page with user= and cohort=: each receiver answers with
# a list of PageLinks to the cohort's pages in its app (progress, review queue, settings).
cohort_page_links = Signal()


def links_from(responses) -> list[PageLink]:
    """The PageLinks among a signal's (receiver, response) pairs, in receiver order."""
    return [
        link
        for _, response in responses
        if isinstance(response, list | tuple)
        for link in response
        if isinstance(link, PageLink)
    ]


# Sent by curriculum.views.lesson_detail with user= and lesson=: each receiver answers with a
# PageSection shown under the lesson (grading: the published examples of its module).
lesson_page_sections = Signal()


def sections_from(responses) -> list[PageSection]:
    """The PageSections among a signal's (receiver, response) pairs, in receiver order."""
    return [response for _, response in responses if isinstance(response, PageSection)]
