"""Plain-text emails from templates, with absolute links to the site (SITE_URL)."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    """`path` on the site as users reach it (SITE_URL, read at call time)."""
    return settings.SITE_URL.rstrip("/") + path


def send_templated_mail(*, to: list[str], subject: str, template: str, context: dict) -> int:
    """Render `template` (plain text) and send it; returns the number of messages sent.

    The template gets `site_url` on top of `context`. Autoescaping is off for plain text.
    """
    body = render_to_string(template, {"site_url": absolute_url(""), **context})
    return send_mail(
        subject=" ".join(subject.split()),
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=to,
    )


def send_templated_mails(*, messages: list[tuple[str, str, str, dict]]) -> int:
    """Send (to, subject, template, context) messages over one connection, one recipient
    each (nobody sees anyone else's address); returns the number sent."""
    if not messages:
        return 0
    site_url = absolute_url("")
    emails = [
        EmailMessage(
            subject=" ".join(subject.split()),
            body=render_to_string(template, {"site_url": site_url, **context}),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
        )
        for to, subject, template, context in messages
    ]
    with get_connection() as connection:
        return connection.send_messages(emails) or 0
