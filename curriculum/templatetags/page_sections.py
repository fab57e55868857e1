"""`{% page_section section %}`: draws a PageSection (curriculum.signals) contributed by an app
above the page's own, with the page's context plus the section's."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_section(context, section):
    # What `{% include %}` does, with the section's own context pushed on top.
    section_template = context.template.engine.get_template(section.template)
    with context.push(section.context):
        return section_template.render(context)
