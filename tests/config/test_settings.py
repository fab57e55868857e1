"""Settings from the environment: production mode refuses to start unsafely."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
STRONG_KEY = "x7Qp2-vLr9_ZkT4mN8wB1cY6hJ3sD0fG5aE-uRiOqWlXe2tKy9PzMnBvCq4Hj7Ls"
# Everything production mode requires, so each test can leave out or change one thing.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "coachline.example.com",
    "SITE_URL": "https://coachline.example.com",
    "EMAIL_HOST": "smtp.example.com",
}


def run_manage(*args: str, code: str = "", **env: str) -> subprocess.CompletedProcess:
    """`manage.py *args` (or `python -c code`) in a fresh process with `env` on top of a
    copy of ours that has no production settings in it."""
    unsafe = {
        "SECRET_KEY",
        "DEBUG",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "SITE_URL",
        "CSRF_TRUSTED_ORIGINS",
    }
    unsafe |= {name for name in os.environ if name.startswith(("EMAIL_", "TRUSTED_"))}
    base = {k: v for k, v in os.environ.items() if k not in unsafe}
    return subprocess.run(
        [sys.executable, "-c", code] if code else [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_settings(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` with config.settings loaded as a fresh process would load them, without
    `manage.py shell` setting up every app (reading a setting needs only the settings)."""
    setup = "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
    return run_manage(code=setup + code, **env)


def test_production_mode_without_secret_key_refuses_to_start():
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="coachline.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "refuses to start" in result.stderr


def test_production_mode_rejects_the_development_key():
    result = run_manage(
        "check",
        DEBUG="0",
        ALLOWED_HOSTS="coachline.example.com",
        SECRET_KEY="django-insecure-short",
    )
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_mode_requires_allowed_hosts():
    result = run_manage("check", DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is empty" in result.stderr


def test_check_deploy_is_clean_in_production_mode():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "True"), ("0", "False"), ("false", "False"), ("1", "True"), ("yes", "True")],
)
def test_debug_is_read_from_the_environment(value, expected):
    result = read_settings(
        "from django.conf import settings; print(settings.DEBUG)",
        **{**PRODUCTION, "DEBUG": value, "ALLOWED_HOSTS": "localhost"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_unset_database_url_means_sqlite_in_the_project_folder():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
            "from django.conf import settings; d = settings.DATABASES['default']; "
            "print(d['ENGINE'], d['NAME'])",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine, name = result.stdout.strip().splitlines()[-1].split()
    assert engine == "django.db.backends.sqlite3"
    assert Path(name).parent == PROJECT_DIR


def print_settings(*names: str, **env: str) -> list[str]:
    code = "from django.conf import settings as s; " + "; ".join(f"print(s.{n})" for n in names)
    result = read_settings(code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-len(names) :]


def test_production_mode_requires_site_url():
    result = run_manage("check", **{**PRODUCTION, "SITE_URL": ""})
    assert result.returncode != 0
    assert "SITE_URL is not set" in result.stderr


def test_site_url_must_be_an_absolute_address():
    result = run_manage("check", **{**PRODUCTION, "SITE_URL": "coachline.example.com"})
    assert result.returncode != 0
    assert "SITE_URL must be an absolute http(s) address" in result.stderr


def test_production_mode_requires_email_delivery():
    result = run_manage("check", **{**PRODUCTION, "EMAIL_HOST": ""})
    assert result.returncode != 0
    assert "Email is not configured" in result.stderr


def test_production_mode_sends_email_by_smtp_with_a_timeout():
    backend, timeout = print_settings("EMAIL_BACKEND", "EMAIL_TIMEOUT", **PRODUCTION)
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert timeout == "10"


def test_production_mode_may_print_emails_when_asked_explicitly():
    console = "django.core.mail.backends.console.EmailBackend"
    env = {**PRODUCTION, "EMAIL_HOST": "", "EMAIL_BACKEND": console}
    assert print_settings("EMAIL_BACKEND", **env) == [console]


def test_email_tls_and_ssl_are_exclusive():
    result = run_manage("check", **PRODUCTION, EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert result.returncode != 0
    assert "only one of EMAIL_USE_TLS" in result.stderr


def test_site_url_origin_is_trusted_for_csrf_and_sets_the_email_link_scheme():
    origins, protocol = print_settings(
        "CSRF_TRUSTED_ORIGINS",
        "ACCOUNT_DEFAULT_HTTP_PROTOCOL",
        **{
            **PRODUCTION,
            "SITE_URL": "https://coachline.example.com/",
            "CSRF_TRUSTED_ORIGINS": "https://admin.example.com",
        },
    )
    assert origins == "['https://admin.example.com', 'https://coachline.example.com']"
    assert protocol == "https"


def test_trusted_proxy_settings_reach_allauths_rate_limits():
    assert print_settings(
        "ALLAUTH_TRUSTED_PROXY_COUNT", "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", **PRODUCTION
    ) == ["0", "None"]
    env = {**PRODUCTION, "TRUSTED_PROXY_COUNT": "1", "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"}
    assert print_settings(
        "ALLAUTH_TRUSTED_PROXY_COUNT", "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", **env
    ) == ["1", "X-Real-IP"]


@pytest.mark.parametrize("value", ["abc", "0", "-5"])
def test_a_size_limit_that_is_not_a_positive_number_refuses_to_start(value):
    result = run_manage("check", BATCH_MAX_LINE_BYTES=value)
    assert result.returncode != 0
    assert "BATCH_MAX_LINE_BYTES must be a positive whole number" in result.stderr


def test_size_limits_are_read_from_the_environment():
    code = (
        "from django.conf import settings; "
        "print(settings.BATCH_MAX_LINE_BYTES, settings.CONTENT_MAX_FILE_BYTES, "
        "settings.IMPACT_UPLOAD_MAX_BYTES)"
    )
    result = run_manage(
        "shell", "-c", code, BATCH_MAX_LINE_BYTES="2_000_000", CONTENT_MAX_FILE_BYTES="500"
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["2000000", "500", "100000000"]


def test_hsts_include_subdomains_and_preload_are_opt_in():
    assert print_settings(
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", **PRODUCTION
    ) == ["31536000", "False", "False"]
    env = {**PRODUCTION, "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1"}
    assert print_settings("SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", **env) == [
        "True",
        "True",
    ]


def test_check_deploy_is_clean_with_hsts_subdomains_and_preload_opted_in():
    env = {**PRODUCTION, "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
