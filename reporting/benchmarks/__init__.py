"""Sections of `manage.py benchmark_scale`: each module measures one part of a 1,000-agent floor.

Every section is a module with one function,

    measure(*, agents: int, submissions: int, log: Callable[[str], None]) -> list[Figure]

that builds whatever data it needs in bulk on the configured database, times the product's
code against the matching hand-written SQL (or other bound) in the same run, removes its data
unless told to keep it, and returns its figures. `log` reports progress on long steps.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One printed line: what was measured, what came out, and the target it is held to."""

    name: str
    value: str
    target: str = ""
    met: bool | None = None
