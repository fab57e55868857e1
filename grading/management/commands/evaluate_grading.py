"""manage.py evaluate_grading --kb DIR PATH...: the graders measured on labelled JSON Lines."""

import json

from django.core.management.base import BaseCommand, CommandError

from grading.batch import library_from_bundle
from grading.content.files import error_lines, read_content
from grading.content.validation import validate_bundle
from grading.evaluation import threshold_failures
from grading.evaluation_sets import Evaluation, EvaluationSetError, help_site_of, labelled_files

from .audit_drafts import load_kb
from .grade_replies import check_grader

# The "done when" figures of issue 11, for --targets.
TARGETS_AT_LEAST = {
    "messages.accuracy": 0.90,
    "messages.misleading_cues.accuracy": 0.75,
    "drafts.typed.recall": 0.90,
    "drafts.typed.precision": 0.90,
    "replies.graders.*.mean_kappa": 0.70,
    "replies.graders.*.min_kappa": 0.55,
}
TARGETS_AT_MOST = {"replies.robustness.*.*.above": 0}


def _threshold(text: str) -> tuple[str, float]:
    path, sep, value = text.partition("=")
    try:
        if not sep or not path.strip():
            raise ValueError
        return path.strip(), float(value)
    except ValueError:
        raise CommandError(
            f"expected FIGURE=VALUE (e.g. messages.accuracy=0.9), not {text!r}"
        ) from None


def _f(value, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _share(part: int, whole: int, value) -> str:
    return f"{_f(value)} ({part}/{whole})"


class Command(BaseCommand):
    help = (
        "Measure the graders on labelled JSON Lines sets (messages, drafts, replies, or "
        "trainer-graded exports): state accuracy, span recall/precision, kappa, robustness."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help=".jsonl file or directory")
        parser.add_argument("--kb", required=True, help="content dir or knowledge_base dir")
        parser.add_argument(
            "--grader",
            choices=["offline", "llm"],
            default="offline",
            help="llm: grade replies with the LLM grader as well as the offline one",
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")
        parser.add_argument(
            "--details", metavar="FILE", help="write each record's outcome as JSON Lines"
        )
        parser.add_argument(
            "--no-robustness", action="store_true", help="skip the gaming variants of replies"
        )
        parser.add_argument(
            "--fail-under",
            action="append",
            default=[],
            metavar="FIGURE=VALUE",
            help="fail when a figure (dotted path in the JSON, * for any key) is below VALUE",
        )
        parser.add_argument(
            "--fail-over",
            action="append",
            default=[],
            metavar="FIGURE=VALUE",
            help="fail when a figure is above VALUE (e.g. replies.robustness.*.*.above=0)",
        )
        parser.add_argument(
            "--targets", action="store_true", help="fail unless issue 11's target figures hold"
        )
        parser.add_argument(
            "--regrade",
            action="store_true",
            help="grade trainer-graded answers again with today's grader (--kb: a content dir)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")

    def _note(self, text: str) -> None:
        """Progress on stderr, in plain colour (bad lines keep the error colour)."""
        self.stderr.write(text, style_func=str)

    def _library(self, path: str):
        bundle = read_content(path)
        errors = validate_bundle(bundle)
        if errors:
            for line in error_lines(errors, 50):
                self.stderr.write(line)
            raise CommandError(
                f"--regrade needs a valid content directory: {len(errors)} problem(s) in {path}"
            )
        return library_from_bundle(bundle)

    def handle(self, *args, **options):
        at_least = dict(_threshold(t) for t in options["fail_under"])
        at_most = dict(_threshold(t) for t in options["fail_over"])
        check_grader(options["grader"])
        kb = load_kb(options["kb"])
        try:
            files = labelled_files(options["paths"])
        except (EvaluationSetError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        evaluation = Evaluation(
            kb=kb,
            help_site=help_site_of(kb, options["kb"]),
            graders=("offline", "llm") if options["grader"] == "llm" else ("offline",),
            robustness=not options["no_robustness"],
            progress=None if options["quiet"] else self._note,
            library=self._library(options["kb"]) if options["regrade"] else None,
        )
        details = open(options["details"], "w", encoding="utf-8") if options["details"] else None  # noqa: SIM115
        try:
            for kind, path in files:
                summary = evaluation.run_file(kind, path, err=self.stderr, details=details)
                if not options["quiet"]:
                    self._note(
                        f"{path}: {summary.processed} {kind} evaluated, {summary.skipped} skipped"
                    )
        except OSError as exc:
            raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from exc
        finally:
            if details:
                details.close()
        report = evaluation.report()
        if options["targets"]:  # only for the kinds of set that were given
            measured = {k: v for k, v in TARGETS_AT_LEAST.items() if k.split(".")[0] in report}
            at_least = {**measured, **at_least}
            measured = {k: v for k, v in TARGETS_AT_MOST.items() if k.split(".")[0] in report}
            at_most = {**measured, **at_most}
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(render_text(report))
        problems = threshold_failures(report, at_least=at_least, at_most=at_most)
        if report["skipped_lines"]:
            problems.insert(0, f"{report['skipped_lines']} line(s) skipped; see the messages above")
        if problems:
            raise CommandError("\n".join(problems))


# ---- the text report ---------------------------------------------------------------------


def render_text(report: dict) -> str:
    parts = []
    if "messages" in report:
        parts.append(_messages_text(report["messages"], report["sources"]["messages"]))
    if "drafts" in report:
        parts.append(_drafts_text(report["drafts"], report["sources"]["drafts"]))
    if "replies" in report:
        parts.append(_replies_text(report["replies"], report["sources"]["replies"]))
    if "graded" in report:
        parts.append(_graded_text(report["graded"], report["sources"]["graded"]))
    if not parts:
        parts.append("Nothing evaluated.")
    return "\n\n".join(parts)


def _messages_text(m: dict, sources: list[str]) -> str:
    lines = [
        f"Messages: {m['n']} from {', '.join(sources)}",
        f"  state accuracy     {_share(m['correct'], m['n'], m['accuracy'])}",
        f"  macro-F1           {_f(m['macro_f1'])}",
        "  misleading cues    "
        + _share(
            m["misleading_cues"]["correct"],
            m["misleading_cues"]["n"],
            m["misleading_cues"]["accuracy"],
        ),
        f"  severity MAE       {_f(m['severity']['mae'], 2)} (n={m['severity']['n']})",
        f"  {'state':<14}{'precision':>10}{'recall':>8}{'F1':>7}{'labelled':>10}{'predicted':>11}",
    ]
    for state, row in m["per_state"].items():
        lines.append(
            f"  {state:<14}{_f(row['precision'], 2):>10}{_f(row['recall'], 2):>8}"
            f"{_f(row['f1'], 2):>7}{row['support']:>10}{row['predicted']:>11}"
        )
    labels = m["confusion"]["labels"]
    width = max(len(label) for label in labels) + 2
    lines.append("  confusion (rows: label, columns: predicted)")
    lines.append("  " + " " * 14 + "".join(f"{label:>{width}}" for label in labels))
    for label, row in zip(labels, m["confusion"]["matrix"], strict=True):
        lines.append(f"  {label:<14}" + "".join(f"{count:>{width}}" for count in row))
    return "\n".join(lines)


def _drafts_text(d: dict, sources: list[str]) -> str:
    typed, loose, clean = d["typed"], d["any_type"], d["clean"]
    lines = [
        f"Drafts: {d['drafts']} from {', '.join(sources)} "
        f"({typed['errors']} planted errors, {clean['drafts']} clean drafts, "
        f"{typed['findings']} findings)",
        f"  {'':<22}{'recall':<18}precision",
        f"  {'type matched':<22}{_share(typed['found'], typed['errors'], typed['recall']):<18}"
        f"{_share(typed['correct'], typed['findings'], typed['precision'])}",
        f"  {'any type':<22}{_share(loose['found'], loose['errors'], loose['recall']):<18}"
        f"{_share(loose['correct'], loose['findings'], loose['precision'])}",
        f"  {'type':<22}{'errors':>7}{'found':>7}{'recall':>8}"
        f"{'findings':>10}{'correct':>9}{'precision':>11}",
    ]
    for name, row in d["per_type"].items():
        if not (row["errors"] or row["findings"]):
            continue
        lines.append(
            f"  {name:<22}{row['errors']:>7}{row['found']:>7}{_f(row['recall'], 2):>8}"
            f"{row['findings']:>10}{row['correct']:>9}{_f(row['precision'], 2):>11}"
        )
    flagged = _share(clean["flagged"], clean["drafts"], clean["false_positive_rate"])
    lines.append(f"  clean drafts flagged {flagged}, {clean['findings']} finding(s) on them")
    return "\n".join(lines)


def _agreement_lines(a: dict) -> list[str]:
    lines = [f"  {'criterion':<18}{'n':>4}{'exact':>8}{'adjacent':>10}{'kappa':>8}"]
    for key, row in a["criteria"].items():
        lines.append(
            f"  {key:<18}{row['n']:>4}{_f(row['exact'], 2):>8}"
            f"{_f(row['adjacent'], 2):>10}{_f(row['kappa'], 2):>8}"
        )
    lowest = (
        f" (lowest: {a['min_kappa_criterion']} {_f(a['min_kappa'])})"
        if a["min_kappa_criterion"]
        else ""
    )
    lines.append(f"  mean kappa {_f(a['mean_kappa'])}{lowest}")
    if a["undefined_kappa"]:
        lines.append(f"  kappa undefined (no variance): {', '.join(a['undefined_kappa'])}")
    return lines


def _replies_text(r: dict, sources: list[str]) -> str:
    lines = [f"Replies: {r['n']} from {', '.join(sources)}"]
    for grader, figures in r["graders"].items():
        failed = f", {figures['failed']} failed or void" if figures["failed"] else ""
        lines.append(f"{grader} grader against the labels ({figures['n']} graded{failed})")
        lines.extend(_agreement_lines(figures))
    for grader, table in r.get("robustness", {}).items():
        lines.append(
            f"Robustness, {grader} grader: each variant's overall score against its plain "
            "reply (target: none above)"
        )
        lines.append(f"  {'variant':<22}{'n':>4}{'above':>7}{'mean delta':>12}{'max delta':>11}")
        for kind, row in table.items():
            lines.append(
                f"  {kind:<22}{row['n']:>4}{row['above']:>7}"
                f"{row['mean_delta']:>+12.3f}{row['max_delta']:>+11.3f}"
            )
    return "\n".join(lines)


def _graded_text(g: dict, sources: list[str]) -> str:
    lines = [f"Trainer-graded submissions: {g['n']} from {', '.join(sources)}"]
    for name, figures in g["graders"].items():
        lines.append(f"{name} grades against the trainer's ({figures['n']} submissions)")
        lines.extend(_agreement_lines(figures))
    return "\n".join(lines)
