"""The one retry policy of every Celery task: exponential backoff with full jitter.

Each task says how fast it starts and where it stops (a draft the agent waits for retries
in seconds, an email in minutes); the shape of the backoff is the same everywhere.
"""

import random


def backoff_seconds(retries: int, *, base: float, cap: float) -> float:
    """A countdown for retry number `retries` (0 for the first): uniform in
    0..min(cap, base * 2**retries), so retries of many tasks spread out instead of colliding."""
    return random.uniform(0, min(cap, base * 2**retries))  # noqa: S311 - jitter, not crypto
