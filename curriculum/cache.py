"""The shared cache (Redis) that fails open: a cache outage is logged, never a 500.

What Coachline keeps in the cache can all be lost: allauth's login, sign-up and password
reset rate limits (and the cache lock they take), and remembered facts such as which
response format a model endpoint speaks. So when Redis is unreachable every read is a miss,
every write is dropped, and `add` (the lock allauth's rate limit takes) succeeds: logins
keep working with the rate limit off until Redis is back. That is the documented choice
(docs/operations.md): the outage is logged as a warning, at most once a minute per
process, for the operator to fix; keeping the limit in the database instead would add two
writes to every login for a failure that the log already reports.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY_SECONDS = 60
# Without these a Redis host that drops packets would hold every request for minutes.
DEFAULT_SOCKET_TIMEOUT = 0.5


class FailOpenRedisCache(RedisCache):
    """Django's RedisCache, except that an unreachable Redis behaves like an empty cache."""

    _last_warning = 0.0

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        params["OPTIONS"] = options
        super().__init__(server, params)

    def _failed(self, operation: str, exc: Exception, fallback):
        now = time.monotonic()
        if now - FailOpenRedisCache._last_warning >= WARN_EVERY_SECONDS:
            FailOpenRedisCache._last_warning = now
            logger.warning(
                "cache unreachable (%s failed: %s): serving without it; login rate limits "
                "are off until it is back",
                operation,
                exc,
            )
        return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except CACHE_ERRORS as exc:
            return self._failed("add", exc, True)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except CACHE_ERRORS as exc:
            return self._failed("get", exc, default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set(key, value, timeout, version)
        except CACHE_ERRORS as exc:
            return self._failed("set", exc, None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except CACHE_ERRORS as exc:
            return self._failed("touch", exc, False)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except CACHE_ERRORS as exc:
            return self._failed("delete", exc, False)

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except CACHE_ERRORS as exc:
            return self._failed("get_many", exc, {})

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except CACHE_ERRORS as exc:
            return self._failed("has_key", exc, False)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except CACHE_ERRORS as exc:
            # As for a missing key: the caller decides what "no count" means.
            self._failed("incr", exc, None)
            raise ValueError(f"Key '{key}' not found (cache unreachable)") from exc

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except CACHE_ERRORS as exc:
            return self._failed("set_many", exc, list(data))

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except CACHE_ERRORS as exc:
            return self._failed("delete_many", exc, None)

    def clear(self):
        try:
            return super().clear()
        except CACHE_ERRORS as exc:
            return self._failed("clear", exc, False)
