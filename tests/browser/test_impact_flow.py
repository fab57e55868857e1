"""A support leader, in a real browser, loads an export and acts on the dashboard."""

import pytest

from curriculum.models import User
from curriculum.services import demo_seed
from reporting.impact.demo import ticket_demo_generate
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_imports_an_export_and_follows_an_alert(page, tmp_path):
    demo_seed()
    ticket_demo_generate()
    leader = User.objects.get(email="leader@coachline.example")
    leader.set_password(TEST_PASSWORD)
    leader.save(update_fields=["password"])
    export = tmp_path / "export.csv"
    export.write_text(
        "ticket_id,agent_email,closed_at,category,handle_time_seconds,"
        "first_response_seconds,resolution_seconds,csat,ai_usage\n"
        "BR-1,ana@coachline.example,2025-01-02T10:00:00Z,simple,400,300,3000,5,human\n"
        "BR-2,nobody@coachline.example,2025-01-02T10:00:00Z,simple,400,300,3000,5,human\n"
    )

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(leader.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Impact", exact=True).click()
    page.get_by_label("Help-desk export (CSV)").set_input_files(str(export))
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url("**/impact/imports/*/")
    assert page.get_by_text("no user with the email nobody@coachline.example").is_visible()

    page.get_by_role("link", name="Back to impact").click()
    page.get_by_role("link", name="Demo cohort").first.click()
    alert = page.locator(".impact-alert", has_text="Heavy AI use with minimal editing: Ben")
    assert alert.is_visible()
    assert "accuracy-auditing" in alert.inner_text()  # the module (content not loaded here)
    alert.get_by_role("link", name="The tickets behind it").click()
    page.wait_for_url("**/tickets/**")
    assert page.get_by_role("heading", name="Tickets of Demo cohort").is_visible()
    assert page.locator("tbody tr").count() > 10


def test_the_dashboard_fits_a_phone_and_its_charts_stay_legible(page):
    demo_seed()
    ticket_demo_generate()
    leader = User.objects.get(email="leader@coachline.example")
    leader.set_password(TEST_PASSWORD)
    leader.save(update_fields=["password"])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(leader.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto("/impact/cohorts/demo-cohort/")
    assert page.get_by_role("heading", name="Capacity and return").is_visible()
    # The capacity figures used to push the page 37 px wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Charts scroll sideways instead of shrinking their 11 px labels to about 6 px.
    width = page.locator(".impact-chart").first.bounding_box()["width"]
    assert width >= 500
