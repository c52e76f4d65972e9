"""Server-side chart images for e-mails and the PDF (matplotlib with the non-interactive Agg backend).

Images are drawn at twice their display size (``SCALE``) so they stay sharp on high-density
screens and in print; the e-mail and the PDF size them by CSS to the column's width. Labels are in
the current language (call inside ``translation.override``).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .display import STATUS_COLOURS, commitment_label, format_value, status_label

# Display width in CSS pixels of the e-mail's content column; the PNG is SCALE times wider.
DISPLAY_WIDTH = 560
SCALE = 2
DPI = 100
# Width in inches of the PDF's A4 portrait text column (21 cm less 2 × 1.6 cm margins).
PRINT_WIDTH = 7.0


def scorecard_shares(data: dict) -> list[dict]:
    """Each commitment's actual as a share of its target (100 % = met), with its label and colour;
    ``None`` when there is nothing to measure (no data, or no target): no bar and "—", never "0 %"."""
    rows = []
    for row in data.get("commitments", []):
        target = float(row.get("target") or 0)
        actual = row.get("actual")
        share = 100 * float(actual) / target if target and actual is not None else None
        rows.append(
            {
                "key": row.get("key", ""),
                "label": commitment_label(row.get("key", "")),
                "share": share,
                "colour": STATUS_COLOURS.get(row.get("status"), STATUS_COLOURS["no_data"]),
                "status": row.get("status"),
            }
        )
    return rows


def scorecard_alt(data: dict) -> str:
    """The chart's figures in words, for its ``alt`` text (screen readers, images blocked)."""
    currency = data.get("currency") or "EUR"
    parts = []
    for row in data.get("commitments", []):
        unit = row.get("unit", "")
        parts.append(
            _("%(label)s: %(actual)s of %(target)s, %(status)s")
            % {
                "label": commitment_label(row.get("key", "")),
                "actual": format_value(row.get("actual"), unit, currency),
                "target": format_value(row.get("target"), unit, currency),
                "status": status_label(row.get("status")).lower(),
            }
        )
    return "; ".join(parts)


def scorecard_png(data: dict) -> bytes:
    """The scorecard chart as a PNG at ``SCALE`` times its display size (e-mails)."""
    return _save(scorecard_figure(data), "png")


def scorecard_svg(data: dict) -> bytes:
    """The scorecard chart as SVG for the PDF: vector (sharp at any print resolution), drawn at the
    A4 column's width (``PRINT_WIDTH``) so its 8 pt labels print at 8 pt."""
    return _save(scorecard_figure(data, width=PRINT_WIDTH, fontsize=8, row_height=0.26), "svg")


def scorecard_figure(data: dict, width: float = DISPLAY_WIDTH / DPI, fontsize: int = 10, row_height=0.42) -> Figure:
    """A horizontal bar chart of each commitment's actual as a share of its target, 100 % marked.

    The shares are written in a column of their own right of the bars, so a label never crosses
    a bar or the 100 % line (a 93 % bar's label used to sit on the line).
    """
    rows = scorecard_shares(data)
    figure = Figure(figsize=(width, row_height * max(len(rows), 1) + 0.4 + fontsize / 20), dpi=DPI * SCALE)
    axes = figure.subplots()
    labels = [row["label"] for row in rows]
    shares = [0 if row["share"] is None else min(row["share"], BAR_LIMIT) for row in rows]
    axes.barh(labels, shares, color=[row["colour"] for row in rows], height=0.6)
    for index, row in enumerate(rows):
        axes.text(
            BAR_LIMIT + 28,
            index,
            format_value(None if row["share"] is None else round(row["share"]), "percent"),
            va="center",
            ha="right",
            fontsize=fontsize,
        )
    axes.axvline(100, color="#212529", linewidth=1)
    axes.set_xlim(0, BAR_LIMIT + 30)
    axes.set_xticks([0, 50, 100, 150])
    axes.set_xticklabels([format_value(tick, "percent") for tick in (0, 50, 100, 150)])
    axes.invert_yaxis()
    axes.set_xlabel(_("% of target"), fontsize=fontsize)
    axes.tick_params(labelsize=fontsize)
    _plain(axes)
    figure.tight_layout()
    return figure


def trend_svg(rows: list[dict], months: list[str], unit: str, currency: str = "EUR") -> bytes:
    """One line per commitment over the months (``rows``: ``label`` and ``values``, ``None`` for a
    month without a report), the axis in ``unit`` — the PDF's trend charts."""
    figure = Figure(figsize=(DISPLAY_WIDTH / DPI, 2.6), dpi=DPI * SCALE)
    axes = figure.subplots()
    positions = list(range(len(months)))
    plotted = False
    for row in rows:
        points = [(x, float(v)) for x, v in zip(positions, row["values"], strict=False) if v is not None]
        if points:
            axes.plot([x for x, _v in points], [v for _x, v in points], marker="o", markersize=3, label=row["label"])
            plotted = True
    axes.set_xticks(positions)
    axes.set_xticklabels(months, fontsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: format_value(value, unit, currency)))
    if unit != "percent":
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.tick_params(labelsize=8)
    axes.grid(axis="y", color="#dee2e6", linewidth=0.5)
    if plotted:  # a list of months without a report is not a line: no empty legend
        axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _plain(axes)
    figure.tight_layout()
    return _save(figure, "svg")


def funnel_svg(rows: list[dict]) -> bytes:
    """The month's entries per funnel stage as horizontal bars, each count written after its bar."""
    figure = Figure(figsize=(PRINT_WIDTH, 0.22 * max(len(rows), 1) + 0.3), dpi=DPI * SCALE)
    axes = figure.subplots()
    counts = [row["count"] for row in rows]
    axes.barh([str(row["label"]) for row in rows], counts, color="#1f3a5f", height=0.6)
    top = max(counts or [0]) or 1
    for index, count in enumerate(counts):
        axes.text(count + top * 0.01, index, format_value(count, "count"), va="center", fontsize=8)
    axes.set_xlim(0, top * 1.15)
    axes.set_xticks([])
    axes.invert_yaxis()
    axes.tick_params(labelsize=8)
    _plain(axes)
    axes.spines["bottom"].set_visible(False)
    figure.tight_layout()
    return _save(figure, "svg")


# Bars longer than 150 % of their target are drawn to 150 % (the label gives the figure).
BAR_LIMIT = 150


def _plain(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _save(figure: Figure, fmt: str) -> bytes:
    """The figure's bytes; SVG keeps its text as text (the PDF's text layer finds the chart's labels)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans"}):
        figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()
