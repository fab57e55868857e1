"""The layers hold in templates too: an app's templates load only the tag libraries of their
own app or of the apps below it. (Python imports are checked by `lint-imports`, with the
contracts in pyproject.toml; a tag library is found by name, so it needs this test.)"""

import re
from pathlib import Path

from django.conf import settings
from django.template.backends.django import get_installed_libraries

# Bottom to top, as in [tool.importlinter] (docs/architecture.md).
LAYERS = ["text_analysis", "curriculum", "exercises", "grading", "studio", "authoring", "reporting"]
LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")


def _layer(module: str) -> int:
    """The layer of a module; -1 for Django's and third-party libraries (below everything)."""
    top = module.split(".")[0]
    return LAYERS.index(top) if top in LAYERS else -1


def _loads(text: str) -> list[str]:
    names: list[str] = []
    for match in LOAD.finditer(text):
        words = match.group(1).split()
        names += words[words.index("from") + 1 :] if "from" in words else words
    return names


def test_app_templates_load_no_tag_library_of_a_higher_app():
    libraries = get_installed_libraries()
    base = Path(settings.BASE_DIR)
    wrong = []
    for app in LAYERS:
        for template in sorted((base / app).glob("**/templates/**/*.html")):
            for name in _loads(template.read_text()):
                if _layer(libraries[name]) > LAYERS.index(app):
                    wrong.append(f"{template.relative_to(base)} loads {name} ({libraries[name]})")
    assert wrong == []


def test_the_check_sees_an_upward_load():
    libraries = get_installed_libraries()
    assert _loads("{% load static console_tags %}") == ["static", "console_tags"]
    assert _layer(libraries["console_tags"]) > LAYERS.index("exercises")
    assert _layer(libraries["static"]) == -1
