from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from smarketing.env import env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-production-secret-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "smarketing.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://smarketing.example.com",
    "DATABASE_URL": "sqlite:////tmp/smarketing-deploy-check.sqlite3",
}


def test_env_helpers_parse_typed_values(monkeypatch):
    monkeypatch.setenv("SMK_BOOL", "Yes")
    monkeypatch.setenv("SMK_INT", "42")
    monkeypatch.setenv("SMK_LIST", "a.example, b.example ,")
    assert env_bool("SMK_BOOL") is True
    assert env_int("SMK_INT", 1) == 42
    assert env_list("SMK_LIST") == ["a.example", "b.example"]
    assert env_str("SMK_MISSING", "fallback") == "fallback"
    assert env_bool("SMK_MISSING", True) is True


@pytest.mark.parametrize(("helper", "raw"), [(env_bool, "maybe"), (lambda n: env_int(n, 0), "twelve")])
def test_env_helpers_name_the_variable_on_bad_values(monkeypatch, helper, raw):
    monkeypatch.setenv("SMK_BAD", raw)
    with pytest.raises(ImproperlyConfigured, match="SMK_BAD"):
        helper("SMK_BAD")


def _run_manage(args: list[str], extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "ALLOWED_HOSTS"}
    }
    env.update(extra_env)
    env["DJANGO_SETTINGS_MODULE"] = "smarketing.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = _run_manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV}
    env.pop("SECRET_KEY")
    result = _run_manage(["check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_and_broker_follow_the_environment():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='smarketing.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL)"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "true", "DATABASE_URL": "postgres://u:p@db.example:5432/smk", "REDIS_URL": "redis://r:6379/3"})
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["django.db.backends.postgresql", "smk", "redis://r:6379/3"]

    env.pop("DATABASE_URL")
    env.pop("REDIS_URL")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    engine, name, broker = out.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert name.endswith("smarketing.sqlite3")
    assert broker == "filesystem://"
