"""Extension points: an app higher in the layers adds to a page of a lower one that never imports it.

The dashboard (``reporting``) and the SLA pages (``slas``) may not import ``reviews``; instead they
ask ``collect("dashboard.panels", …)`` or ``collect("sla.links", …)`` and render whatever the apps
registered in their ``AppConfig.ready()``. Known hooks:

- ``"dashboard.panels"`` (``request``, ``slas``: the SLA versions on the dashboard, ``now``) →
  ``{"template": name, "context": {...}}`` dicts, each rendered as a section of the home page;
- ``"sla.links"`` (``sla``) → ``{"label": text, "url": path}`` dicts: pages that point at this SLA
  version (e.g. the review decision an amendment draft comes from).

A hook function returns one dict, a list of them, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable

_registry: dict[str, list[Callable]] = {}


def register(name: str, function: Callable) -> None:
    """Add ``function`` to hook ``name`` (once, however many times ``ready()`` runs)."""
    functions = _registry.setdefault(name, [])
    if function not in functions:
        functions.append(function)


def collect(name: str, **kwargs) -> list:
    """Call every function of hook ``name`` with ``kwargs``; their results, flattened, in order."""
    results: list = []
    for function in _registry.get(name, []):
        value = function(**kwargs)
        if not value:
            continue
        results.extend(value if isinstance(value, list) else [value])
    return results
