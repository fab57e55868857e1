"""Real-browser fixtures (a pytest plugin loaded by tests/conftest.py, so one Chromium
serves every test that asks for `page`, wherever it lives): Debian's Chromium driven by
Playwright, against live_server.

Every page these fixtures hand out is checked with axe-core (the npm package, `make install`)
on every state it lands on: after `goto`, `reload`, `go_back` and `wait_for_url`, after the
interactions a test names with `page.check_accessibility("...")`, and once more when the
test ends. A serious or critical violation fails the test. The script is injected by the
browser (an init script), so the site's strict Content-Security-Policy stays on."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        require_service("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the
    # test body are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Every document reports Content-Security-Policy violations to the console, where the page
# fixture collects them (the event alone would be lost on the next navigation). Init scripts
# are injected by the browser, so the policy does not block this one.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation:") or "Content Security Policy" in text


AXE_SCRIPT = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
# What fails a test; "moderate" and "minor" findings are left to review by hand.
AXE_FAILING_IMPACTS = ("serious", "critical")
AXE_RUN = """async (impacts) => {
  if (!window.axe) return null;
  // No CSSOM preload: it re-inserts @imported style sheets (the admin's) as inline <style>
  // elements, which the site's CSP rightly blocks.
  const results = await window.axe.run(document, {resultTypes: ["violations"], preload: false});
  return results.violations.filter((v) => impacts.includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
  }));
}"""
# Page states checked in this run, reported at the end (pytest_terminal_summary).
AXE_STATES_CHECKED: list[str] = []


class AccessibilityViolation(AssertionError):
    pass


def assert_accessible(page, state: str = "") -> None:
    """Run axe-core over the page as it is now; fail on any serious or critical violation."""
    page.wait_for_load_state("load")
    found = page.evaluate(AXE_RUN, list(AXE_FAILING_IMPACTS))
    if found is None:  # a document the init script did not reach (about:blank)
        return
    where = f"{page.url}{f' ({state})' if state else ''}"
    AXE_STATES_CHECKED.append(where)
    if found:
        lines = [f"axe: {len(found)} serious/critical violation(s) on {where}"]
        for violation in found:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            lines.extend(f"    {node}" for node in violation["nodes"])
        raise AccessibilityViolation("\n".join(lines))


class CheckedPage:
    """A Playwright page that runs axe after every navigation it waits for; everything else
    is the page itself."""

    def __init__(self, page):
        self._page = page

    def __getattr__(self, name):
        return getattr(self._page, name)

    def check_accessibility(self, state: str = "") -> None:
        assert_accessible(self._page, state)

    def _checked(self, method, *args, **kwargs):
        result = method(*args, **kwargs)
        assert_accessible(self._page)
        return result

    def goto(self, *args, **kwargs):
        return self._checked(self._page.goto, *args, **kwargs)

    def reload(self, *args, **kwargs):
        return self._checked(self._page.reload, *args, **kwargs)

    def go_back(self, *args, **kwargs):
        return self._checked(self._page.go_back, *args, **kwargs)

    def wait_for_url(self, *args, **kwargs):
        return self._checked(self._page.wait_for_url, *args, **kwargs)


def new_checked_context(browser, base_url: str, **options):
    """A browser context whose documents report CSP violations to the console and carry
    axe-core; returns (context, violations), the list the CSP reports are collected in."""
    if not AXE_SCRIPT.exists():
        require_service("axe-core", f"{AXE_SCRIPT} not found (make install runs npm ci)")
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    context.add_init_script(path=str(AXE_SCRIPT))
    violations: list[str] = []
    context.on(
        "console",
        lambda message: violations.append(message.text) if is_csp_violation(message.text) else None,
    )
    return context, violations


def new_checked_page(context) -> CheckedPage:
    return CheckedPage(context.new_page())


@pytest.fixture
def page(browser, live_server):
    """A page of a fresh browser context, checked by axe on every state it reaches (see the
    module docstring); the test fails if any page it opened reported a
    Content-Security-Policy violation."""
    context, violations = new_checked_context(browser, live_server.url)
    page = new_checked_page(context)
    yield page
    if not page.is_closed():
        page.check_accessibility("where the test ended")
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def pytest_terminal_summary(terminalreporter):
    if AXE_STATES_CHECKED:
        terminalreporter.write_line(
            f"axe-core: {len(AXE_STATES_CHECKED)} page states checked "
            f"({len(set(AXE_STATES_CHECKED))} distinct), failing on "
            f"{' or '.join(AXE_FAILING_IMPACTS)} violations"
        )
