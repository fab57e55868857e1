"""manage.py benchmark_scale --agents 1000 --submissions 50 [--keep]: a support floor of that
size in the configured database, and each part of the product timed against its bound."""

import gc
import importlib
import importlib.util
import inspect
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reporting.benchmarks import Figure

# Every section module of reporting/benchmarks/, in the order they run; those not present
# in this checkout are skipped (each exposes `measure(*, agents, submissions, log)`).
SECTIONS = ("grades", "exports", "peer", "tickets", "offline")


def section_modules(names=SECTIONS) -> list:
    """The section modules that exist, imported."""
    found = []
    for name in names:
        dotted = f"reporting.benchmarks.{name}"
        if importlib.util.find_spec(dotted) is not None:
            found.append(importlib.import_module(dotted))
    return found


def summary(figures: list[Figure]) -> str:
    """The last line: how many targets were met, and which were missed."""
    held = [f for f in figures if f.met is not None]
    missed = [f.name for f in held if not f.met]
    line = f"targets met: {len(held) - len(missed)} of {len(held)}"
    return line + (f"; missed: {', '.join(missed)}" if missed else "")


class Command(BaseCommand):
    help = (
        "Build a support floor of --agents agents x --submissions submissions in the "
        "configured database (in bulk; removed afterwards unless --keep), then time the "
        "product against hand-written SQL and the issue's targets, section by section. "
        "Refuses to run with DEBUG off unless --yes-this-is-not-production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--agents", type=int, default=1000)
        parser.add_argument("--submissions", type=int, default=50, help="per agent")
        parser.add_argument("--keep", action="store_true", help="leave the built data in place")
        parser.add_argument(
            "--sections",
            default=",".join(SECTIONS),
            help=f"comma-separated subset of {', '.join(SECTIONS)}",
        )
        parser.add_argument(
            "--yes-this-is-not-production",
            action="store_true",
            help="run although DEBUG is off (it writes to the configured database)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["yes_this_is_not_production"]:
            raise CommandError(
                "benchmark_scale writes a large synthetic floor into the configured database. "
                "It runs with DEBUG on, or with --yes-this-is-not-production."
            )
        agents, submissions = options["agents"], options["submissions"]
        if agents < 1 or submissions < 1:
            raise CommandError("--agents and --submissions must be at least 1")
        wanted = [n.strip() for n in options["sections"].split(",") if n.strip()]
        unknown = sorted(set(wanted) - set(SECTIONS))
        if unknown:
            raise CommandError(f"unknown section(s): {', '.join(unknown)}")
        modules = section_modules(tuple(n for n in SECTIONS if n in wanted))
        vendor = __import__("django.db", fromlist=["connection"]).connection.vendor
        self.stdout.write(
            f"benchmark_scale on {vendor}: {agents} agents x {submissions} submissions; "
            f"sections: {', '.join(m.__name__.rsplit('.', 1)[1] for m in modules) or 'none'}"
        )

        def log(message: str) -> None:
            self.stderr.write(f"  .. {message}", style_func=str)

        figures: list[Figure] = []
        try:
            for module in modules:
                name = module.__name__.rsplit(".", 1)[1]
                gc.collect()  # one section's garbage is not the next one's cost
                started = time.perf_counter()
                kwargs = {"agents": agents, "submissions": submissions, "log": log}
                if "keep" in inspect.signature(module.measure).parameters:
                    kwargs["keep"] = options["keep"]
                try:
                    found = module.measure(**kwargs)
                except Exception as exc:
                    found = [Figure(name=f"{name}: failed", value=repr(exc)[:200], met=False)]
                self.stdout.write(f"\n[{name}] ({time.perf_counter() - started:.1f} s)")
                for figure in found:
                    self.stdout.write(self.format_figure(figure))
                figures.extend(found)
        finally:
            from reporting.benchmarks.floor import floor_forget, floor_remove

            if options["keep"]:
                floor_forget()
                self.stdout.write("\nthe built data is kept (--keep)")
            else:
                floor_remove(log=log)
        self.stdout.write("\n" + summary(figures))

    @staticmethod
    def format_figure(figure: Figure) -> str:
        mark = {True: "ok", False: "MISSED", None: ""}[figure.met]
        target = f"[target {figure.target}]" if figure.target else ""
        return f"  {figure.name:<52} {figure.value:<60} {target} {mark}".rstrip()
