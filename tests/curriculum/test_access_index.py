"""The access index: every model of the product has a rule, each rule lives in the access.py
beside its model, and the index lists them all."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from curriculum import access

PROJECT_APPS = {"curriculum", "exercises", "grading", "studio", "authoring", "impact"}


def project_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def holds_user_data(model, seen=None) -> bool:
    """The user model, or a model that reaches it through foreign keys."""
    seen = seen or set()
    if model._meta.label == "curriculum.User":
        return True
    seen.add(model)
    return any(
        holds_user_data(field.related_model, seen)
        for field in model._meta.get_fields()
        if field.concrete and field.is_relation and field.related_model not in seen
    )


@pytest.mark.parametrize("model", project_models(), ids=lambda m: m._meta.label)
def test_every_model_has_a_view_and_a_change_rule(model):
    label = model._meta.label
    assert label in access.VIEW_RULES, f"{label} has no view rule"
    assert label in access.CHANGE_RULES, f"{label} has no change rule"


@pytest.mark.parametrize("rule", access.access_rules(), ids=lambda r: r.label)
def test_each_rule_lives_in_the_access_module_beside_its_model(rule):
    model = apps.get_model(rule.label)
    package = model.__module__.rsplit(".", 1)[0]
    assert rule.module == f"{package}.access"


def test_no_model_with_user_data_is_readable_by_everyone():
    open_to_all = [
        m._meta.label
        for m in project_models()
        if access.VIEW_RULES[m._meta.label] is access.published_content and holds_user_data(m)
    ]
    assert open_to_all == []
    # The check itself sees user data where it is.
    assert holds_user_data(apps.get_model("grading.CriterionScore"))
    assert not holds_user_data(apps.get_model("grading.Level"))


def test_the_index_lists_every_rule_with_its_module():
    out = StringIO()
    call_command("access_rules", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(project_models())
    assert any(
        line.startswith("grading.PeerReview ") and "(grading.peer.access)" in line for line in lines
    )


def test_a_second_rule_for_one_model_is_refused():
    with pytest.raises(ValueError, match="already has access rules"):
        access.register("curriculum.Cohort", view=access.never, change=access.never)
    # Registering the same rules again (a second ready()) changes nothing.
    access.register("curriculum.Cohort", view=access.cohort_view, change=access.cohort_change)


def test_a_model_without_a_rule_is_denied_loudly():
    class Unruled:
        class _meta:
            label = "nowhere.Unruled"

    user = type("U", (), {"is_authenticated": True, "is_active": True})()
    with pytest.raises(LookupError, match=r"No access rule for nowhere\.Unruled"):
        access.can_view(user, Unruled())
