"""The platform knows no domain (issue 15, item 8).

``smarketing/`` is the project shell (settings, root URLs, the Celery app, health) and the
domain-free plumbing (API base classes, errors, jobs, webhooks, tokens, throttles). No plumbing
module may import an app of the domain; the apps build on the plumbing, never the reverse. The
root URLs (which wire the apps' pages in) and the demo loader (which seeds every app) are the
only exceptions. Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import smarketing

DOMAIN_APPS = {"slas", "leads", "reporting", "reviews"}
# Module paths relative to smarketing/ allowed to reach into the apps.
EXCEPTED = {"urls.py", "api_urls.py", "demo.py", "management/commands/seed_demo.py"}
ROOT = Path(smarketing.__file__).parent


def _is_dynamic_import(node: ast.AST) -> bool:
    """``import_module("x.y")`` or ``import_string("x.y.z")`` with a literal name."""
    if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
        return False
    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
    return name in {"import_module", "import_string"} and isinstance(node.args[0].value, str)


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
        elif _is_dynamic_import(node):
            modules.add(node.args[0].value)
    return modules


def domain_imports(path: Path) -> set[str]:
    return {m for m in imported_modules(path.read_text()) if m.split(".")[0] in DOMAIN_APPS}


def plumbing_modules() -> list[Path]:
    paths = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(("tests/", "migrations/")) or relative in EXCEPTED:
            continue
        paths.append(path)
    return paths


def test_no_plumbing_module_imports_a_domain_app():
    offenders = {p.relative_to(ROOT).as_posix(): sorted(domain_imports(p)) for p in plumbing_modules()}
    assert {name: modules for name, modules in offenders.items() if modules} == {}


def test_the_checker_sees_top_level_lazy_and_dynamic_imports():
    # The exceptions really import the apps: the checker would see it if they were not excepted.
    assert "slas.models" in domain_imports(ROOT / "demo.py")
    assert "slas" in domain_imports(ROOT / "urls.py")
    source = "import leads.models\ndef f():\n    from reporting.tasks import x\n    import_module('reviews.demo')\n"
    assert imported_modules(source) >= {"leads.models", "reporting.tasks", "reviews.demo"}
    # And it looks at the whole package, not a hand-picked list.
    names = {p.relative_to(ROOT).as_posix() for p in plumbing_modules()}
    assert {"webhooks.py", "permissions.py", "context_processors.py", "api.py", "throttling.py"} <= names
