"""The one retry policy: exponential backoff with full jitter, capped."""

import random

import pytest

from curriculum.retry import backoff_seconds


@pytest.mark.parametrize(("retries", "ceiling"), [(0, 5), (1, 10), (3, 40), (10, 300)])
def test_backoff_stays_within_its_exponential_ceiling(retries, ceiling):
    random.seed(retries)
    waits = [backoff_seconds(retries, base=5, cap=300) for _ in range(200)]
    assert all(0 <= w <= ceiling for w in waits)
    assert max(waits) > ceiling / 2  # full jitter spreads retries over the whole window
