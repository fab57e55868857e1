from tests.content.conftest import content_copy  # noqa: F401  (a writable copy of the content)
