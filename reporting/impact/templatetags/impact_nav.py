"""The "Impact" navigation link, shown to support leaders and trainers."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

from ..signals import SESSION_KEY

register = template.Library()


@register.simple_tag(takes_context=True)
def impact_nav_link(context) -> str:
    request = context.get("request")
    if request is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return ""
    if not (context.get("nav_is_trainer") or request.session.get(SESSION_KEY)):
        return ""
    match = getattr(request, "resolver_match", None)
    if match and match.namespace == "impact":
        return format_html(
            '<li><a href="{}" aria-current="page">Impact</a></li>', reverse("impact:home")
        )
    return format_html('<li><a href="{}">Impact</a></li>', reverse("impact:home"))
