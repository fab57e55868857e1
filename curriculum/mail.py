"""Plain-text emails from templates, with absolute links to the site (SITE_URL), and dates
in the recipient's time zone."""

from datetime import tzinfo
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from .dates import site_zone


def absolute_url(path: str) -> str:
    """`path` on the site as users reach it (SITE_URL, read at call time)."""
    return settings.SITE_URL.rstrip("/") + path


class Mail(NamedTuple):
    """One message for `send_templated_mails`. `zone` is the recipient's (dates in the
    template and in `subject` should be formatted in it: `curriculum.dates.format_when`);
    None means the site's zone."""

    to: str
    subject: str
    template: str
    context: dict
    zone: tzinfo | None = None


def render_mail(template: str, context: dict, *, zone: tzinfo | None = None) -> str:
    """The body of a plain-text email: `template` rendered with `site_url` and `context`,
    every date (`|when`) in `zone` (the recipient's; None: the site's), whatever zone the
    request or task that sends it has active."""
    with timezone.override(zone or site_zone()):
        return render_to_string(template, {"site_url": absolute_url(""), **context})


def send_templated_mail(
    *, to: list[str], subject: str, template: str, context: dict, zone: tzinfo | None = None
) -> int:
    """Render `template` (plain text) in `zone` and send it; returns the number of
    messages sent. Autoescaping is off for plain text."""
    return send_mail(
        subject=" ".join(subject.split()),
        message=render_mail(template, context, zone=zone),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=to,
    )


def send_templated_mails(*, messages: list[Mail]) -> int:
    """Send messages over one connection, one recipient each (nobody sees anyone else's
    address), each rendered in its recipient's zone; returns the number sent."""
    if not messages:
        return 0
    emails = [
        EmailMessage(
            subject=" ".join(mail.subject.split()),
            body=render_mail(mail.template, mail.context, zone=mail.zone),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[mail.to],
        )
        for mail in messages
    ]
    with get_connection() as connection:
        return connection.send_messages(emails) or 0
