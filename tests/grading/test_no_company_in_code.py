"""Any company installs Coachline: no company, product or help-site name in Python code.

Every company.yaml under fixtures/ names a company; none of those names (nor its product
names, nor its help site's host) may appear in a Python file outside tests/, in any case.
"""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {"tests", "node_modules", "__pycache__", "site-packages", "staticfiles"}


def _company_words() -> list[str]:
    words = set()
    for path in sorted((ROOT / "fixtures").rglob("company.yaml")):
        company = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        words.add(str(company.get("name") or ""))
        words.update(str(name) for name in company.get("product_names") or [])
        site = str(company.get("help_site") or "")
        words.add(site.split("://", 1)[-1].split("/", 1)[0])
    return sorted(w.strip().lower() for w in words if w.strip())


def _python_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith(".") or p in SKIPPED_DIRS for p in parts[:-1]):
            continue
        found.append(path)
    return sorted(found)


def test_the_fixtures_name_at_least_two_companies():
    assert len([w for w in _company_words() if "." not in w]) >= 2


@pytest.mark.parametrize("word", _company_words())
def test_no_python_file_outside_tests_names_a_company(word):
    offenders = []
    for path in _python_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if word in line.lower():
                offenders.append((str(path.relative_to(ROOT)), number))
    where = ", ".join(f"{file}:{number}" for file, number in offenders)
    assert not offenders, f"{word!r} is company vocabulary, found in: {where}"
