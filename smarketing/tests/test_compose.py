"""No Docker engine runs here: check the compose file against what the project defines."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = (ROOT / "smarketing" / "settings.py").read_text()
SETTINGS_VARIABLES = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', SETTINGS_SOURCE))
MAKE_TARGETS = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
APP_SERVICES = {"migrate", "web", "worker", "beat"}


def test_the_stack_has_every_production_part():
    assert set(COMPOSE["services"]) >= APP_SERVICES | {"postgres", "redis", "mailpit"}
    for name in ("web", "worker", "postgres", "redis", "mailpit"):
        assert "healthcheck" in COMPOSE["services"][name], f"{name} has no healthcheck"
    assert set(COMPOSE["volumes"]) >= {"postgres-data", "redis-data"}


def test_every_app_service_runs_a_command_the_project_defines():
    from django.core.management import get_commands

    for name in APP_SERVICES:
        argv = shlex.split(COMPOSE["services"][name]["command"])
        if argv[0] == "python":
            assert argv[1] == "manage.py" and argv[2] in get_commands(), argv
        elif argv[0] == "gunicorn":
            module, _, attribute = argv[1].partition(":")
            assert (ROOT / (module.replace(".", "/") + ".py")).exists() and attribute == "application"
        elif argv[0] == "celery":
            assert argv[1:3] == ["-A", "smarketing"] and argv[3] in {"worker", "beat"}
        else:
            raise AssertionError(f"unknown command for {name}: {argv}")


def test_every_variable_given_to_the_app_is_one_the_settings_read():
    for name in APP_SERVICES:
        environment = COMPOSE["services"][name].get("environment", {})
        unknown = set(environment) - SETTINGS_VARIABLES
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert example <= SETTINGS_VARIABLES, example - SETTINGS_VARIABLES


def test_the_makefile_has_the_documented_targets():
    assert {"run", "test", "lint", "migrations-check", "worker", "beat", "web", "seed", "clean"} <= MAKE_TARGETS
