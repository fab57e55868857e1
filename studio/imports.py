"""Reading facts to import: a CSV of facts, and help-centre exports (Markdown files, or the
JSON of the common help-centre article APIs). What comes out is a draft for a trainer to
review; the words of each kind of mistake say which row or article and what to do."""

import csv
import io
import json
import re
from dataclasses import dataclass, field

import yaml
from django.utils.html import strip_tags
from django.utils.text import slugify

from grading.content.files import YAML_LOADER, yaml_problem_in_words
from grading.detectors.knowledge_base import CATEGORIES

CSV_COLUMNS = ("id", "category", "title", "statement", "source_url", "data")
MAX_IMPORT_BYTES = 5_000_000
MAX_ARTICLES = 500


class ImportFormatError(ValueError):
    """The file cannot be read at all (nothing was imported)."""


@dataclass
class ImportedFact:
    slug: str
    category: str
    title: str
    statement: str
    source_url: str
    data: dict
    excerpt: str = ""
    section: str = ""


@dataclass
class ImportResult:
    facts: list[ImportedFact] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rows or articles left out, and why


def _text(raw: bytes, name: str) -> str:
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportFormatError(f"{name}: over {MAX_IMPORT_BYTES // 1_000_000} MB; split it")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFormatError(f"{name}: not UTF-8; save the file as UTF-8") from None


# --- CSV of facts --------------------------------------------------------------------------


def facts_from_csv(raw: bytes, *, name: str = "the CSV file") -> ImportResult:
    """Rows `id, category, title, statement, source_url, data` (data as YAML or JSON, e.g.
    `{plan: Pro, monthly_price: 20, annual_price: 192}`). A row that cannot be read is
    left out and named; the others become drafts."""
    reader = csv.DictReader(io.StringIO(_text(raw, name)))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ImportFormatError(
            f"{name}: the first row must name the columns {', '.join(CSV_COLUMNS)}; "
            f"missing: {', '.join(missing)}"
        )
    reader.fieldnames = header
    result = ImportResult()
    for number, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        where = f"row {number}"
        category = row["category"].lower()
        if category not in CATEGORIES:
            result.problems.append(
                f"{where}: category {row['category']!r} is not one of {', '.join(CATEGORIES)}"
            )
            continue
        data, problem = _data_cell(row["data"])
        if problem:
            result.problems.append(f"{where}: data: {problem}")
            continue
        title = row["title"] or row["id"]
        result.facts.append(
            ImportedFact(
                slug=slugify(row["id"] or title)[:100] or f"fact-{number}",
                category=category,
                title=title,
                statement=row["statement"],
                source_url=row["source_url"],
                data=data,
                excerpt=", ".join(f"{k}: {v}" for k, v in row.items() if v),
            )
        )
    return result


def _data_cell(text: str) -> tuple[dict, str | None]:
    if not text:
        return {}, None
    try:
        loader = YAML_LOADER(text)
        try:
            value = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        return {}, yaml_problem_in_words(getattr(exc, "problem", None) or str(exc))
    if not isinstance(value, dict):
        return {}, "expected fields such as {plan: Pro, monthly_price: 20}"
    return json.loads(json.dumps(value, default=str)), None


# --- Help-centre exports -------------------------------------------------------------------

# Words that suggest what kind of fact an article holds, in the order they are tried.
CATEGORY_HINTS = (
    ("troubleshooting", r"\b(troubleshoot\w*|not working|fix|problem|error|can't|cannot)\b"),
    ("not_offered", r"\b(not (?:available|offered|supported)|don't offer|do not offer)\b"),
    ("plan", r"\b(plans?|pricing|price|prices)\b"),
    ("addon", r"\b(add-?ons?|one-off fee|extra)\b"),
    ("quota", r"\b(limits?|quotas?|allowance|overage)\b"),
    ("sla", r"\b(support hours|response times?|contact (?:us|support))\b"),
    ("policy", r"\b(refunds?|cancel\w*|policy|within \d+|days?)\b"),
    ("process", r"\b(how (?:do|to)|change|update|set up|find)\b|>"),
)
PATH = re.compile(r"[A-Z][\w ]*?(?:\s*>\s*[A-Z][\w ]*)+")
SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Article:
    title: str
    html: str
    url: str = ""
    section: str = ""
    labels: tuple[str, ...] = ()


def _html_lines(html: str) -> list[str]:
    """The article's text, a line per block, with list items kept as lines."""
    html = re.sub(r"(?i)<\s*(br|/p|/li|/h\d|/div|/tr)\s*/?>", "\n", html)
    html = re.sub(r"(?i)<\s*li[^>]*>", "\n- ", html)
    text = strip_tags(html)
    text = re.sub(r"&nbsp;", " ", text).replace("&amp;", "&").replace("&gt;", ">")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def fact_from_article(article: Article) -> ImportedFact:
    """A draft fact for one article: its kind guessed from its words, its statement the
    article's first sentences, its data pre-filled where the text shows it (a menu path,
    the listed steps); everything for the trainer to check."""
    lines = _html_lines(article.html)
    prose = [line for line in lines if not line.startswith("- ")]
    steps = [line[2:] for line in lines if line.startswith("- ")]
    words = " ".join([article.title, article.section, *article.labels, *lines[:5]]).lower()
    category = next(
        (name for name, pattern in CATEGORY_HINTS if re.search(pattern, words)), "feature"
    )
    sentences = SENTENCE.split(" ".join(prose))
    statement = " ".join(sentences[:2]).strip()[:600]
    name = article.title.strip()
    data: dict = {}
    if category == "troubleshooting":
        data = {
            "problem": name,
            "aliases": [name.lower()],
            "steps": steps or ["(the documented steps)"],
        }
    elif category == "process":
        found = PATH.search(" ".join(lines))
        data = {
            "task": name,
            "aliases": [name.lower()],
            "current_path": found.group(0).strip() if found else "",
        }
    elif category == "not_offered":
        data = {"thing": name, "aliases": [name.lower()]}
    elif category == "plan":
        data = {"plan": name, "monthly_price": None, "annual_price": None, "seat_limit": None}
    elif category == "addon":
        data = {"addon": name, "price": 0, "per": "account", "period": "month"}
    elif category == "quota":
        data = {"quota": name, "unit": "", "limit": None, "resets": "monthly", "rollover": False}
    elif category == "sla":
        data = {"plan": "", "channels": [], "first_response": {"value": 1, "unit": "business_days"}}
    elif category == "policy":
        data = {"policy": name, "aliases": [name.lower()], "duration": {"value": 0, "unit": "days"}}
    else:
        data = {"feature": name, "aliases": [name.lower()], "plans": []}
    return ImportedFact(
        slug=slugify(name)[:100] or "article",
        category=category,
        title=name[:200],
        statement=statement,
        source_url=article.url,
        data=data,
        excerpt="\n".join(lines)[:4000],
        section=article.section,
    )


def _front_matter(text: str) -> tuple[dict, str]:
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
        if end:
            try:
                meta = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError:
                meta = {}
            if isinstance(meta, dict):
                return meta, "\n".join(lines[end + 1 :])
    return {}, text


def articles_from_markdown(files: list[tuple[str, bytes]]) -> tuple[list[Article], list[str]]:
    """Markdown articles: optional front matter (title, url, section, labels), else the
    first `# heading` as the title."""
    from curriculum.markdown import render_markdown

    articles, problems = [], []
    for name, raw in files:
        try:
            text = _text(raw, name)
        except ImportFormatError as exc:
            problems.append(str(exc))
            continue
        meta, body = _front_matter(text)
        heading = re.search(r"^#\s+(.+)$", body, re.M)
        title = str(meta.get("title") or (heading.group(1) if heading else "")).strip()
        if not title:
            problems.append(f"{name}: no title (add `title:` front matter or a # heading)")
            continue
        if heading and heading.group(1).strip() == title:
            body = body.replace(heading.group(0), "", 1)
        labels = meta.get("labels") or []
        articles.append(
            Article(
                title=title,
                html=render_markdown(body),
                url=str(meta.get("url") or meta.get("html_url") or ""),
                section=str(meta.get("section") or ""),
                labels=tuple(str(x) for x in labels) if isinstance(labels, list) else (),
            )
        )
    return articles, problems


def articles_from_json(raw: bytes, *, name: str = "the JSON file") -> list[Article]:
    """Articles from a help-centre API export: a list, or `{"articles": [...]}` (Zendesk
    Guide) or `{"data": [...]}` (Intercom); fields title, body (HTML), html_url or url,
    section (or section_id / parent_id), label_names or labels. Drafts (`draft: true` or
    `state: draft`) are left out."""
    try:
        value = json.loads(_text(raw, name))
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if isinstance(value, dict):
        value = value.get("articles", value.get("data", value.get("items")))
    if not isinstance(value, list):
        raise ImportFormatError(
            f'{name}: expected a list of articles, or {{"articles": [...]}} as the help '
            "centre's API exports them"
        )
    if len(value) > MAX_ARTICLES:
        raise ImportFormatError(f"{name}: {len(value)} articles; import {MAX_ARTICLES} at most")
    articles = []
    for entry in value:
        if not isinstance(entry, dict) or not entry.get("title"):
            continue
        if entry.get("draft") is True or entry.get("state") == "draft":
            continue
        labels = entry.get("label_names") or entry.get("labels") or []
        section = entry.get("section") or entry.get("section_id") or entry.get("parent_id") or ""
        articles.append(
            Article(
                title=str(entry["title"]),
                html=str(entry.get("body") or entry.get("description") or ""),
                url=str(entry.get("html_url") or entry.get("url") or ""),
                section=str(section),
                labels=tuple(str(x) for x in labels) if isinstance(labels, list) else (),
            )
        )
    return articles


def facts_from_help_centre(
    *, markdown_files: list[tuple[str, bytes]] | None = None, json_file: tuple[str, bytes] | None
) -> ImportResult:
    result = ImportResult()
    articles: list[Article] = []
    if json_file is not None:
        articles += articles_from_json(json_file[1], name=json_file[0])
    if markdown_files:
        found, problems = articles_from_markdown(markdown_files)
        articles += found
        result.problems += problems
    result.facts = [fact_from_article(article) for article in articles]
    return result
