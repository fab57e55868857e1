"""Every model of the project's apps has a factory in tests/factories.py (the one place
tests build rows), and that factory saves an instance that passes the model's validation."""

import inspect
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from factory.django import DjangoModelFactory

from tests import factories


def _project_models() -> list:
    """The models of the apps that live in this repository (not Django's, not libraries')."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        model
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
        and "site-packages" not in Path(config.path).parts  # a virtualenv inside the checkout
        for model in config.get_models()
    ]


def _factory_per_model() -> dict:
    """The first factory defined for each model (subclasses such as TrainerFactory later)."""
    found = {}
    for obj in vars(factories).values():
        if inspect.isclass(obj) and issubclass(obj, DjangoModelFactory) and obj._meta.model:
            found.setdefault(obj._meta.get_model_class(), obj)
    return found


MODELS = _project_models()


def test_the_project_apps_are_all_seen():
    labels = {model._meta.app_label for model in MODELS}
    assert labels == {"curriculum", "exercises", "grading", "studio", "authoring", "impact"}


def test_every_model_has_a_factory():
    by_model = _factory_per_model()
    missing = sorted(model._meta.label for model in MODELS if model not in by_model)
    assert not missing, f"models without a factory in tests/factories.py: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_each_factory_saves_a_valid_instance(model):
    factory_class = _factory_per_model().get(model)
    if factory_class is None:
        pytest.fail(f"{model._meta.label} has no factory")
    made = factory_class()
    stored = model.objects.get(pk=made.pk)
    stored.full_clean()  # fields, choices and the model's constraints
    # A second one next to the first: sequences keep unique fields apart.
    factory_class()
    assert model.objects.count() >= 2
