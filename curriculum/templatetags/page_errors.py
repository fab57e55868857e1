"""`{% page_has_errors as has_errors %}`: whether the page being drawn reports input errors,
so base.html can prefix the title with "Error:" (the first thing a screen reader reads on
a form that came back) whatever the view called its forms."""

from django import forms, template

register = template.Library()


def _has_errors(value) -> bool:
    if isinstance(value, forms.BaseForm | forms.BaseFormSet):
        return value.is_bound and bool(value.errors or value.non_field_errors())
    return False


@register.simple_tag(takes_context=True)
def page_has_errors(context) -> bool:
    """True when the context holds a bound form or formset with errors, a non-empty
    `errors` mapping or list (the workspace, peer review), or an object whose `errors`
    is non-empty (the trainer review page's `page`)."""
    for name, value in context.flatten().items():
        if name == "errors" and isinstance(value, dict | list) and value:
            return True
        if _has_errors(value):
            return True
        nested = None if isinstance(value, dict) else getattr(value, "errors", None)
        if isinstance(nested, dict | list) and nested:
            return True
    return False
