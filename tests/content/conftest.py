"""A writable copy of the shipped content, for tests that edit or break it."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings


class ContentCopy:
    def __init__(self, root: Path):
        self.root = root

    def path(self, relative: str) -> Path:
        return self.root / relative

    def first(self, pattern: str) -> Path:
        return sorted(self.root.glob(pattern))[0]

    def read(self, relative: str | Path) -> dict:
        return yaml.safe_load((self.root / relative).read_text(encoding="utf-8"))

    def write(self, relative: str | Path, data) -> None:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        (self.root / relative).write_text(text, encoding="utf-8")

    def edit(self, relative: str | Path, change) -> dict:
        data = self.read(relative)
        change(data)
        self.write(relative, data)
        return data


@pytest.fixture
def content_copy(tmp_path) -> ContentCopy:
    root = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, root)
    return ContentCopy(root)
