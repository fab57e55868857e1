"""The browser tests' CSP check catches what the policy blocks: an inline script and an
inline style without the nonce are reported, the site's own pages report nothing."""

import pytest

from tests.browser_fixtures import CSP_LISTENER, is_csp_violation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_inline_script_or_style_without_the_nonce_is_reported(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(CSP_LISTENER)
    seen: list[str] = []
    context.on("console", lambda m: seen.append(m.text) if is_csp_violation(m.text) else None)
    page = context.new_page()
    policy = "script-src 'self' 'nonce-abc'; style-src 'self'"
    page.route(
        "**/probe",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
            body=(
                "<p id=p style='color: red'>x</p><script>document.title = 'ran'</script>"
                "<script nonce='abc'>document.body.dataset.ok = '1'</script>"
            ),
        ),
    )
    page.goto("/probe")
    page.wait_for_timeout(300)
    assert page.title() != "ran"
    assert page.evaluate("document.body.dataset.ok") == "1"
    context.close()
    directives = " ".join(seen)
    assert "script-src" in directives and "style-src" in directives, seen


def test_the_sites_pages_report_no_violation(page):
    # The `page` fixture fails the test on any violation; these pages carry forms, the
    # navigation and (the landing page) the stylesheet.
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(path)
        page.wait_for_load_state("load")


def test_the_admin_reports_no_violation(page):
    from tests.factories import TEST_PASSWORD, UserFactory

    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/trainer/")
    for path in ("/admin/", f"/admin/curriculum/user/{staff.pk}/change/", "/agent/"):
        page.goto(path)
        page.wait_for_load_state("load")
