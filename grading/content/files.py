"""Reading a content directory into items that remember their file and YAML nodes."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KINDS = ("company", "fact", "rubric", "module", "lesson", "exercise", "scenario", "example")


@dataclass(frozen=True)
class ContentError:
    """One problem in the content: which file, which field (and line), what is wrong."""

    path: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field or '(file)'}: {self.message}"


@dataclass
class SourceItem:
    """One content item: its data, the file it came from and where its fields are."""

    kind: str
    path: str
    data: Any
    node: yaml.Node | None = None
    line_offset: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str | None:
        return self.data.get("id") if isinstance(self.data, dict) else None

    def line_of(self, parts: tuple | list) -> int | None:
        """1-based line of the field at `parts` (keys and indexes), or of its nearest parent."""
        node = self.node
        if node is None:
            return None
        line = node.start_mark.line
        for part in parts:
            child = _child_node(node, part)
            if child is None:
                break
            node = child
            line = node.start_mark.line
        return line + 1 + self.line_offset

    def error(self, parts: tuple | list, message: str) -> ContentError:
        prefix = tuple(self.extra.get("prefix", ()))
        return ContentError(
            self.path, field_name(prefix + tuple(parts)), message, self.line_of(parts)
        )


@dataclass
class ContentBundle:
    root: Path
    items: dict[str, list[SourceItem]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[ContentError] = field(default_factory=list)
    # Files that could not be read (too large, not UTF-8, not YAML), by kind: their path and
    # the id their file name gives, so that what refers to them is not called "unknown".
    unreadable: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: {k: [] for k in KINDS}
    )

    def of(self, kind: str) -> list[SourceItem]:
        return self.items[kind]

    def by_id(self, kind: str) -> dict[str, SourceItem]:
        return {item.id: item for item in self.items[kind] if item.id}


def error_lines(errors: list[ContentError], limit: int | None) -> list[str]:
    """The first `limit` problems (all when None or 0), then how many more there are."""
    if not limit or len(errors) <= limit:
        return [str(error) for error in errors]
    shown = [str(error) for error in errors[:limit]]
    return [*shown, f"... and {len(errors) - limit} more problem(s) (--max-errors 0 lists all)"]


def field_name(parts: tuple | list) -> str:
    """('errors', 0, 'span') -> 'errors[0].span'."""
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _child_node(node: yaml.Node, part) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if getattr(key, "value", None) == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


# libyaml's parser when PyYAML was built with it (the wheels are): several times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# The parser's words for the common mistakes (PyYAML's and libyaml's), in plain words.
YAML_PROBLEMS = (
    (
        "mapping values are not allowed",
        "a colon followed by a space inside a value needs quotes "
        '(write `title: "Step 2: check the invoice"`)',
    ),
    (
        "cannot start any token",
        "a value cannot start with this character (@, `, % or a tab); put the value in "
        "quotes, and indent with spaces, not tabs",
    ),
    ("found a tab character", "indent with spaces, not tabs"),
    (
        "could not find expected ':'",
        "this line is not `key: value`: a colon is missing, or a text that runs over "
        "several lines is not indented under its key (or use `key: |`)",
    ),
    (
        "did not find expected key",
        "this line's indentation does not match the fields above it (or a `- ` list item "
        "is out of place)",
    ),
    (
        "did not find expected '-' indicator",
        "this list item does not line up with the items above it",
    ),
    (
        "expected <block end>",
        "this line's indentation does not match the lines above it",
    ),
    (
        "found unexpected end of stream",
        "a quote is opened and never closed",
    ),
    (
        "did not find expected ',' or ']'",
        "a [ ] list is not closed, or a value in it that contains , [ ] or : needs quotes",
    ),
    (
        "did not find expected ',' or '}'",
        "a { } mapping is not closed, or a value in it that contains , { } or : needs quotes",
    ),
    (
        "found unknown escape character",
        'an unknown backslash escape inside "double quotes": use single quotes, or write \\\\',
    ),
    ("expected a single document", "one YAML document per file: remove the extra --- line"),
    ("found undefined alias", "a *name refers to no &name anchor; put the value in quotes"),
    (
        "found character that cannot start any token",
        "a value cannot start with this character; put the value in quotes",
    ),
)


def yaml_problem_in_words(problem: str) -> str:
    """The parser's problem, in plain words when it is a common mistake."""
    for known, plain in YAML_PROBLEMS:
        if known in problem:
            return f"{plain} (the YAML parser says: {problem})"
    return problem


_OPEN_QUOTE = re.compile(r"""^\s*(?:-\s+)?(?:[^\s:#'"][^:#]*:\s+)?(["'])(?!.*\1)""")


_BLOCK_START = re.compile(r"(?:^\s*-|:)\s+[|>][-+0-9]*\s*(?:#.*)?$")


def _unclosed_quote(text: str, before: int) -> int | None:
    """The 0-based line, before line `before`, of a value that opens a quote and does not
    close it on its line (content never spreads a quoted value over lines)."""
    block_indent = None  # inside a `key: |` or `key: >` text, quotes are just characters
    for number, line in enumerate(text.splitlines()[: before + 1]):
        indent = len(line) - len(line.lstrip())
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                continue
            block_indent = None
        if _BLOCK_START.search(line):
            block_indent = indent
        elif _OPEN_QUOTE.match(line):
            return number
    return None


def _parse_yaml(text: str, rel: str, errors: list[ContentError], line_offset: int = 0):
    """(data, node): the values, and the node tree whose marks give line numbers."""
    try:
        loader = YAML_LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else None
        problem = yaml_problem_in_words(getattr(exc, "problem", None) or str(exc))
        start = getattr(exc, "context_mark", None)
        if start is not None and "expected ',' or" in problem:  # the [ or { that is not closed
            line = start.line + 1 + line_offset
        opened = _unclosed_quote(text, mark.line if mark else len(text))
        if opened is not None:  # the parser stumbles further on, where the quote ends
            line = opened + 1 + line_offset
            said = getattr(exc, "problem", None) or exc
            problem = (
                f"a quote opened on this line is never closed (the YAML parser says: {said}, "
                "further on)"
            )
        errors.append(ContentError(rel, "", f"not valid YAML: {problem}", line))
        return None, None
    return data, node


def readable_size(count: int) -> str:
    """A byte count in the unit people read (1 MB = 1,000,000 bytes): '79 MB'."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} bytes"


DEFAULT_MAX_FILE_BYTES = 1_000_000


class UnreadableFileError(ValueError):
    """A content file refused before parsing; `line` is set when the problem has one."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def read_content_text(path: Path) -> str:
    """A content file's text. Refused with UnreadableFileError: over CONTENT_MAX_FILE_BYTES
    (checked before reading, so a huge file is never loaded) or not UTF-8."""
    from django.conf import settings

    # the detectors read knowledge bases outside Django too (scripts, notebooks)
    limit = settings.CONTENT_MAX_FILE_BYTES if settings.configured else DEFAULT_MAX_FILE_BYTES
    size = path.stat().st_size
    if size > limit:
        raise UnreadableFileError(
            f"the file is {readable_size(size)}, over the {readable_size(limit)} limit per "
            "content file (CONTENT_MAX_FILE_BYTES); split it into smaller files"
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            line=raw.count(b"\n", 0, exc.start) + 1,
        ) from None


def _read_text(path: Path, rel: str, errors: list[ContentError]) -> str | None:
    """The file's text, or None with the reason in `errors`."""
    try:
        return read_content_text(path)
    except UnreadableFileError as exc:
        errors.append(ContentError(rel, "", str(exc), exc.line))
        return None


def _unreadable(bundle: ContentBundle, kind: str, path: Path, rel: str) -> None:
    # a module is named by its folder, everything else by its file name
    bundle.unreadable[kind].append((rel, path.parent.name if kind == "module" else path.stem))


def _read_yaml_item(kind: str, path: Path, root: Path, bundle: ContentBundle) -> None:
    rel = str(path.relative_to(root))
    text = _read_text(path, rel, bundle.errors)
    if text is None:
        _unreadable(bundle, kind, path, rel)
        return
    data, node = _parse_yaml(text, rel, bundle.errors)
    if data is None and node is None:
        _unreadable(bundle, kind, path, rel)
        return
    if kind == "fact":
        _split_facts(data, node, rel, bundle)
        return
    if not isinstance(data, dict):
        bundle.errors.append(ContentError(rel, "", "expected a mapping of fields at the top", 1))
        return
    item = SourceItem(kind, rel, data, node)
    if kind in {"exercise", "lesson"}:
        item.extra["module_dir"] = path.parent.parent.name
    if kind == "module":
        item.extra["module_dir"] = path.parent.name
    if kind == "scenario":
        item.extra["type_dir"] = path.parent.name
    bundle.items[kind].append(item)


def _split_facts(data, node, rel: str, bundle: ContentBundle) -> None:
    """A knowledge-base file holds `facts: [...]`; each fact becomes its own item."""
    facts = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(facts, list):
        bundle.errors.append(
            ContentError(rel, "facts", "expected a list of facts under `facts:`", 1)
        )
        return
    extra_keys = set(data) - {"facts", "topic", "description"}
    for key in sorted(extra_keys):
        line = SourceItem("fact", rel, data, node).line_of([key])
        bundle.errors.append(ContentError(rel, key, "unknown top-level field", line))
    facts_node = _child_node(node, "facts")
    for index, fact in enumerate(facts):
        fact_node = _child_node(facts_node, index) if facts_node is not None else None
        item = SourceItem("fact", rel, fact, fact_node)
        item.extra["prefix"] = ("facts", index)
        bundle.items["fact"].append(item)


def _read_lesson(path: Path, root: Path, bundle: ContentBundle) -> None:
    rel = str(path.relative_to(root))
    text = _read_text(path, rel, bundle.errors)
    if text is None:
        _unreadable(bundle, "lesson", path, rel)
        return
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        bundle.errors.append(
            ContentError(rel, "", "a lesson starts with YAML front matter between --- lines", 1)
        )
        return
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        bundle.errors.append(ContentError(rel, "", "front matter is not closed by a --- line", 1))
        return
    front = "\n".join(lines[1:end])
    data, node = _parse_yaml(front, rel, bundle.errors, line_offset=1)
    if data is None and node is None:
        return
    if not isinstance(data, dict):
        bundle.errors.append(ContentError(rel, "", "front matter must be a mapping", 2))
        return
    item = SourceItem("lesson", rel, data, node, line_offset=1)
    item.extra["module_dir"] = path.parent.parent.name
    item.extra["body"] = "\n".join(lines[end + 1 :]).strip() + "\n"
    bundle.items["lesson"].append(item)


def read_content(root: Path | str) -> ContentBundle:
    """Read every content file under `root`; parse problems are collected, not raised."""
    root = Path(root)
    bundle = ContentBundle(root=root)
    if not root.is_dir():
        bundle.errors.append(ContentError(str(root), "", "content directory not found"))
        return bundle
    company = root / "company.yaml"
    if company.is_file():
        _read_yaml_item("company", company, root, bundle)
    else:
        bundle.errors.append(ContentError("company.yaml", "", "file is missing"))
    for path in sorted((root / "knowledge_base").glob("*.yaml")):
        _read_yaml_item("fact", path, root, bundle)
    for path in sorted((root / "rubrics").glob("*.yaml")):
        _read_yaml_item("rubric", path, root, bundle)
    for module_dir in sorted(p for p in (root / "modules").glob("*") if p.is_dir()):
        module_file = module_dir / "module.yaml"
        if module_file.is_file():
            _read_yaml_item("module", module_file, root, bundle)
        else:
            rel = str(module_file.relative_to(root))
            bundle.errors.append(ContentError(rel, "", "file is missing"))
        for path in sorted((module_dir / "lessons").glob("*.md")):
            _read_lesson(path, root, bundle)
        for path in sorted((module_dir / "exercises").glob("*.yaml")):
            _read_yaml_item("exercise", path, root, bundle)
    for path in sorted((root / "scenarios").glob("*/*.yaml")):
        _read_yaml_item("scenario", path, root, bundle)
    for path in sorted((root / "examples").glob("*.yaml")):
        _read_yaml_item("example", path, root, bundle)
    return bundle
