"""Staff can open every admin list page, and content reads well in the admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_admin_changelist_opens(staff_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert staff_client.get(url).status_code == 200


def test_content_detail_pages_are_read_only_and_readable(staff_client, loaded_content):
    from curriculum.models import Lesson
    from exercises.models import Scenario
    from grading.models import RubricVersion

    for obj in (Lesson.objects.first(), Scenario.objects.first(), RubricVersion.objects.first()):
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        response = staff_client.get(url)
        assert response.status_code == 200
        assert 'name="_save"' not in response.content.decode()
