"""Writes of the studio: drafts of facts (saved, confirmed, deleted, imported) and the
all-or-nothing publish that turns confirmed drafts into knowledge-base versions."""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction

from exercises.models import KnowledgeFact
from grading.content.exporting import (
    ContentExportError,
    content_export,
    dump_yaml,
    fact_file_for,
)
from grading.content.files import ContentError, read_content
from grading.content.loading import LoadReport, content_write
from grading.content.validation import validate_bundle

from .checks import DRAFT_PATH, fact_errors
from .imports import ImportedFact
from .models import DraftFact


class StudioError(Exception):
    """Base of the studio's errors."""


class DraftInvalidError(StudioError):
    """A draft cannot be confirmed while the loader finds problems in it."""

    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in the draft")


class PublishError(StudioError):
    """Nothing was published; `errors` say why (or `message` alone)."""

    def __init__(self, message: str, errors: list["PublishProblem"] | None = None):
        self.errors = errors or []
        super().__init__(message)


@dataclass(frozen=True)
class PublishProblem:
    """One problem found when publishing: the draft it is in (if any) and the loader's words."""

    draft_slug: str | None
    text: str


@dataclass
class PublishResult:
    published: list[str] = field(default_factory=list)
    report: LoadReport | None = None


@transaction.atomic(durable=True)
def draft_fact_save(
    *,
    user,
    content: dict,
    draft: DraftFact | None = None,
    origin: str = DraftFact.Origin.FORM,
) -> DraftFact:
    """Create or update a draft from form content (as in the files). Saving never loses
    work: a draft with problems is kept (and marked for review); confirming needs it clean."""
    if draft is None:
        draft = DraftFact(created_by=user, origin=origin)
    draft.slug = content["id"]
    draft.category = content["category"]
    draft.title = content["title"]
    draft.statement = content.get("statement", "")
    draft.source_url = content.get("source_url", "")
    draft.data = content.get("data") or {}
    draft.status = DraftFact.Status.NEEDS_REVIEW
    draft.save()
    return draft


def draft_fact_start_edit(*, user, fact: KnowledgeFact) -> DraftFact:
    """A draft copy of a published fact (or the draft already editing it)."""
    with transaction.atomic(durable=True):
        existing = DraftFact.objects.filter(slug=fact.slug).first()
        if existing is not None:
            return existing
        return DraftFact.objects.create(
            created_by=user,
            slug=fact.slug,
            category=fact.category,
            title=fact.title,
            statement=fact.statement,
            source_url=fact.source_url,
            data=fact.data,
        )


def draft_fact_confirm(*, draft: DraftFact) -> DraftFact:
    """Mark a draft ready to publish; refused (DraftInvalidError) while it has problems."""
    errors = fact_errors(draft.as_content(), draft_id=draft.pk, replacing=_edits(draft))
    errors = [e for e in errors if e.path == DRAFT_PATH]
    if errors:
        raise DraftInvalidError(errors)
    with transaction.atomic(durable=True):
        DraftFact.objects.filter(pk=draft.pk).update(status=DraftFact.Status.CONFIRMED)
    draft.refresh_from_db()
    return draft


def _edits(draft: DraftFact) -> str | None:
    """The id of the published fact a draft edits (its id, when one is published)."""
    if draft.pk is None:
        return None
    stored = DraftFact.objects.filter(pk=draft.pk).values_list("slug", flat=True).first()
    published = KnowledgeFact.objects.filter(slug=stored, retired_at__isnull=True).exists()
    return stored if published else None


@transaction.atomic(durable=True)
def draft_fact_delete(*, draft: DraftFact) -> None:
    draft.delete()


def _unique_slug(wanted: str, taken: set[str]) -> str:
    slug, n = wanted, 2
    while slug in taken:
        slug = f"{wanted}-{n}"
        n += 1
    taken.add(slug)
    return slug


@transaction.atomic(durable=True)
def drafts_import(*, user, facts: list[ImportedFact], origin: str) -> list[DraftFact]:
    """Store imported facts as drafts that need review (never published as they come).

    An id already used by a published fact or a draft gets a suffix (`-2`), so an import
    never overwrites anything; the trainer renames or merges while reviewing."""
    taken = set(DraftFact.objects.values_list("slug", flat=True))
    taken |= set(KnowledgeFact.objects.values_list("slug", flat=True))
    created = []
    for fact in facts:
        created.append(
            DraftFact.objects.create(
                created_by=user,
                origin=origin,
                status=DraftFact.Status.NEEDS_REVIEW,
                slug=_unique_slug(fact.slug, taken),
                category=fact.category,
                title=fact.title[:200],
                statement=fact.statement,
                source_url=fact.source_url[:300],
                data=fact.data,
                source_excerpt=fact.excerpt,
                source_section=fact.section[:200],
            )
        )
    return created


# --- Publishing ----------------------------------------------------------------------------


def _overlay(root: Path, drafts: list[DraftFact]) -> dict[tuple[str, int], str]:
    """Write the drafts into the exported knowledge-base files (over the published fact of
    the same id, else after the facts of their category); returns (file, index) -> slug."""
    published = {
        f.slug: f.source_path
        for f in KnowledgeFact.objects.filter(retired_at__isnull=True).only("slug", "source_path")
    }
    by_category = dict(
        KnowledgeFact.objects.filter(retired_at__isnull=True)
        .order_by("-source_path")
        .values_list("category", "source_path")
    )
    files: dict[str, list[dict]] = {}

    def facts_of(rel: str) -> list[dict]:
        if rel not in files:
            path = root / rel
            data = read_content_facts(path)
            files[rel] = data
        return files[rel]

    where: dict[tuple[str, int], str] = {}
    for draft in drafts:
        rel = published.get(draft.slug) or fact_file_for(
            draft.category, by_category.get(draft.category, "")
        )
        facts = facts_of(rel)
        index = next((i for i, f in enumerate(facts) if f.get("id") == draft.slug), None)
        if index is None:
            facts.append(draft.as_content())
            index = len(facts) - 1
        else:
            facts[index] = draft.as_content()
        where[(rel, index)] = draft.slug
    for rel, facts in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(dump_yaml({"facts": facts}), encoding="utf-8")
    return where


def read_content_facts(path: Path) -> list[dict]:
    """The facts of an exported knowledge-base file (none when there is no such file)."""
    if not path.is_file():
        return []
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("facts") or [])


def _problem(error: ContentError, where: dict[tuple[str, int], str]) -> PublishProblem:
    slug = None
    if error.field.startswith("facts["):
        index = int(error.field[len("facts[") : error.field.index("]")])
        slug = where.get((error.path, index))
    return PublishProblem(draft_slug=slug, text=str(error))


def drafts_publish(*, user) -> PublishResult:
    """Publish every confirmed draft, all or nothing.

    The database's content is exported, the drafts are written over it, and the result is
    validated and loaded exactly as `load_content` would (the same schema, references,
    self-check and versions); on any problem nothing changes (PublishError)."""
    drafts = list(DraftFact.objects.filter(status=DraftFact.Status.CONFIRMED).order_by("slug"))
    if not drafts:
        raise PublishError("No confirmed drafts to publish: confirm a draft first.")
    stamps = {d.pk: d.updated_at for d in drafts}
    with tempfile.TemporaryDirectory(prefix="studio-publish-") as tmp:
        root = Path(tmp)
        try:
            content_export(path=root)
        except ContentExportError as exc:
            raise PublishError(f"{exc}; load content once (manage.py load_content).") from exc
        where = _overlay(root, drafts)
        bundle = read_content(root)
        errors = validate_bundle(bundle)
        if errors:
            problems = [_problem(e, where) for e in errors]
            raise PublishError(f"{len(errors)} problem(s); nothing was published.", problems)
        with transaction.atomic(durable=True):
            locked = list(
                DraftFact.objects.select_for_update().filter(pk__in=stamps).order_by("pk")
            )
            if {d.pk: d.updated_at for d in locked} != stamps or any(
                d.status != DraftFact.Status.CONFIRMED for d in locked
            ):
                raise PublishError(
                    "A draft changed while publishing; nothing was published. Try again."
                )
            report = content_write(bundle=bundle)
            DraftFact.objects.filter(pk__in=stamps).delete()
    return PublishResult(published=[d.slug for d in drafts], report=report)
