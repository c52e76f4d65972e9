"""Server-side chart images for e-mails (matplotlib with the non-interactive Agg backend)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

STATUS_COLOURS = {"met": "#198754", "on_track": "#198754", "missed": "#dc3545", "at_risk": "#fd7e14"}


def scorecard_png(data: dict) -> bytes:
    """A horizontal bar chart of each commitment's actual as a share of its target (100 % = met)."""
    rows = data.get("commitments", [])
    figure = Figure(figsize=(6, 0.4 * max(len(rows), 1) + 1), dpi=100)
    axes = figure.subplots()
    labels, shares, colours = [], [], []
    for row in rows:
        target = float(row.get("target") or 0)
        actual = float(row.get("actual") or 0)
        labels.append(row.get("key", ""))
        shares.append(100 * actual / target if target else 0)
        colours.append(STATUS_COLOURS.get(row.get("status"), "#6c757d"))
    axes.barh(labels, shares, color=colours)
    axes.axvline(100, color="#212529", linewidth=1)
    axes.invert_yaxis()
    axes.set_xlabel("% of target")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
