"""The demo seed behind `make run`."""

import pytest
from django.core.management import CommandError, call_command

from curriculum.models import Cohort, Membership, User
from curriculum.services import demo_seed

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    first = demo_seed()
    counts = (User.objects.count(), Cohort.objects.count(), Membership.objects.count())
    second = demo_seed()
    assert (User.objects.count(), Cohort.objects.count(), Membership.objects.count()) == counts
    assert first.cohort.pk == second.cohort.pk
    assert second.trainer.is_trainer
    assert len(second.agents) == 3
    assert all(not agent.is_trainer for agent in second.agents)


def test_demo_seed_keeps_a_changed_password():
    seed = demo_seed()
    agent = seed.agents[0]
    agent.set_password("changed-by-the-agent")
    agent.save(update_fields=["password"])
    demo_seed()
    agent.refresh_from_db()
    assert agent.check_password("changed-by-the-agent")


def test_seed_command_prints_logins(capsys, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "trainer@coachline.example" in out
    assert "password: coachline-demo" in out


def test_seed_command_refuses_in_production_mode(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")


def test_demo_seed_fills_the_prompt_template_library_once():
    from exercises.models import PromptTemplate, PromptTemplateVersion

    seed = demo_seed()
    demo_seed()
    assert PromptTemplate.objects.count() == 3
    proposal = PromptTemplateVersion.objects.get(status="proposed")
    assert proposal.author == min(seed.agents, key=lambda agent: agent.email)
    assert PromptTemplateVersion.objects.filter(status="approved", author=seed.trainer).count() == 3
