"""The monthly report for spreadsheets: CSV (one table per file) and XLSX (one sheet per table).

One module for every export of a report — the report page, the API and the e-mail attachment —
so a column reads the same wherever it is downloaded from:

- every CSV is UTF-8 **with a BOM** (Excel otherwise reads it as Windows-1252), holds **one
  table** with one header row, and its headers carry the units (``Won revenue (EUR)``);
- the delimiter and decimal mark follow the reader's language (``;`` and ``,`` in French, ``,``
  and ``.`` in English) unless asked explicitly (``sep=comma|semicolon|tab``,
  ``decimal=point|comma``);
- numbers are written as numbers (no thousands separator, no ``5/9`` that Excel turns into a
  date), statuses and sides as words of the reader's language;
- the XLSX has one sheet per table with real number formats (``#,##0 €``, ``0.0%``, months as
  dates shown ``mmm yyyy``);
- every text cell goes through :func:`smarketing.spreadsheets.neutralise` (formula injection).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from smarketing.spreadsheets import csv_writer, neutralise

from . import queries
from .display import (
    CURRENCY_SIGNS,
    STAGE_LABELS,
    commitment_label,
    month_label,
    side_label,
    status_label,
    typeset,
    unit_symbol,
)
from .models import MonthlyReport

TABLES = ("summary", "commitments", "funnel", "trend")
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}
DECIMALS = {"point": ".", "comma": ","}
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportError(ValueError):
    """An export option the reader asked for does not exist; the message says which."""


@dataclass
class Table:
    """One table: a name (file suffix), a title (sheet name), headers with units, and typed rows.

    ``kinds`` gives each cell's kind (``text``, ``count``, ``amount``, ``percent``, ``month``),
    row by row, so a column can hold figures of different units (the commitments table).
    """

    name: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    kinds: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.title = typeset(str(self.title))
        self.headers = [typeset(str(header)) for header in self.headers]

    def add(self, cells: list[tuple[object, str]]) -> None:
        """A row of ``(value, kind)`` cells; words pass through the language's typography (``typeset``)."""
        self.rows.append(
            [typeset(str(value)) if kind == "text" and value is not None else value for value, kind in cells]
        )
        self.kinds.append([kind for _value, kind in cells])


@dataclass(frozen=True)
class CsvOptions:
    delimiter: str = ","
    decimal: str = "."

    @classmethod
    def for_reader(cls, params=None, language: str | None = None) -> CsvOptions:
        """The options asked for in ``params`` (query parameters), else those of ``language``."""
        params = params or {}
        french = (language or get_language() or "en").startswith("fr")
        sep = params.get("sep") or ("semicolon" if french else "comma")
        decimal = params.get("decimal") or ("comma" if french else "point")
        if sep not in DELIMITERS:
            raise ExportError(_("Unknown separator “%(value)s”: use comma, semicolon or tab.") % {"value": sep})
        if decimal not in DECIMALS:
            raise ExportError(_("Unknown decimal mark “%(value)s”: use point or comma.") % {"value": decimal})
        if DELIMITERS[sep] == DECIMALS[decimal]:
            raise ExportError(_("The comma cannot be both the separator and the decimal mark."))
        return cls(delimiter=DELIMITERS[sep], decimal=DECIMALS[decimal])


# --- The tables of a report ---------------------------------------------------------------


def _month_state(state: str | None) -> str:
    if state == "closed":
        return pgettext("state of a report month", "Closed")
    return pgettext("state of a report month", "In progress")


def _measure_kind(unit: str) -> str:
    return {"amount": "amount", "percent": "percent"}.get(unit, "count")


def report_tables(report: MonthlyReport, *, trend: dict | None = None) -> list[Table]:
    """The report's tables in the current language: summary, commitments, funnel, 12-month trend."""
    data = report.data
    currency = data.get("currency") or report.sla.currency
    overall = data.get("overall", {})

    summary = Table("summary", _("Summary"), [_("Field"), _("Value")])
    summary.add([(_("SLA"), "text"), (report.sla.title, "text")])
    summary.add([(_("Version"), "text"), (data.get("version", report.sla.version), "count")])
    summary.add([(_("Month"), "text"), (report.month, "month")])
    summary.add([(_("State"), "text"), (_month_state(data.get("state")), "text")])
    summary.add([(_("Commitments met"), "text"), (overall.get("met"), "count")])
    summary.add([(_("Commitments evaluated"), "text"), (overall.get("evaluable"), "count")])
    summary.add([(_("Overall compliance (%)"), "text"), (overall.get("score"), "percent")])
    summary.add([(_("Currency"), "text"), (currency, "text")])

    commitments = Table(
        "commitments",
        _("Commitments"),
        [_("Commitment"), _("Side"), _("Unit"), _("Target"), _("Actual"), _("Projected"), _("Status")],
    )
    for row in data.get("commitments", []):
        kind = _measure_kind(row.get("unit", ""))
        commitments.add(
            [
                (commitment_label(row["key"]), "text"),
                (side_label(row.get("side")), "text"),
                (unit_symbol(row.get("unit", ""), currency), "text"),
                (row.get("target"), kind),
                (row.get("actual"), kind),
                (row.get("projected"), kind),
                (status_label(row.get("status")), "text"),
            ]
        )

    funnel_data = data.get("funnel", {})
    entries, rates = funnel_data.get("entries", {}), funnel_data.get("conversion_rates", {})
    funnel = Table(
        "funnel",
        _("Funnel"),
        [_("Stage"), _("Entries in the month (leads)"), _("Conversion from the previous stage (%)")],
    )
    previous = None
    for stage, label in STAGE_LABELS.items():
        rate = rates.get(f"{previous}_to_{stage}") if previous else None
        funnel.add([(str(label), "text"), (entries.get(stage, 0), "count"), (rate, "percent")])
        previous = stage

    if trend is None:
        trend = queries.trend(report.sla, until=report.month)
    units = {row["key"]: row.get("unit", "") for row in data.get("commitments", [])}
    # Only the commitments the months show (a commitment added by an amendment has no past).
    keys = [key for key, values in trend["series"].items() if any(v is not None for v in values["actual"])]
    trend_table = Table(
        "trend",
        _("12-month trend"),
        [_("Month")] + [f"{commitment_label(k)} ({unit_symbol(units.get(k, ''), currency)})" for k in keys],
    )
    started = False
    for index, label in enumerate(trend["labels"]):
        values = [trend["series"][key]["actual"][index] for key in keys]
        # No rows for the months before the SLA existed (nothing to read, they only fill the page).
        started = started or any(value is not None for value in values)
        if started:
            month = dt.date.fromisoformat(f"{label}-01")
            cells = [(value, _measure_kind(units.get(key, ""))) for key, value in zip(keys, values, strict=True)]
            trend_table.add([(month, "month"), *cells])
    return [summary, commitments, funnel, trend_table]


def table_named(tables: list[Table], name: str) -> Table:
    for table in tables:
        if table.name == name:
            return table
    raise ExportError(_("Unknown table “%(value)s”: use %(choices)s.") % {"value": name, "choices": ", ".join(TABLES)})


# --- CSV ----------------------------------------------------------------------------------


def _csv_cell(value, kind: str, options: CsvOptions) -> str:
    if value is None:
        return ""
    if kind == "month":
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = format(Decimal(str(value)).normalize(), "f")
        return text.replace(".", options.decimal)
    return str(value)


def table_csv(table: Table, options: CsvOptions | None = None) -> bytes:
    """One table as CSV bytes: UTF-8 with BOM, header row first, ``options``' delimiter and decimal mark."""
    options = options or CsvOptions.for_reader()
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=options.delimiter, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.headers)
    for row, kinds in zip(table.rows, table.kinds, strict=True):
        writer.writerow([_csv_cell(value, kind, options) for value, kind in zip(row, kinds, strict=True)])
    return buffer.getvalue().encode("utf-8-sig")


# --- XLSX ---------------------------------------------------------------------------------

SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _number_format(kind: str, currency: str) -> str | None:
    sign = CURRENCY_SIGNS.get(currency or "EUR", currency or "EUR")
    return {
        "count": "#,##0.##",
        "amount": f'#,##0 "{sign}"',
        "percent": "0.0%",
        "month": "mmm yyyy",
    }.get(kind)


def _xlsx_value(value, kind: str):
    if value is None:
        return None
    if kind == "percent":
        return float(Decimal(str(value)) / 100)
    if kind in ("count", "amount"):
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "month":
        return value
    return neutralise(str(value))


def tables_xlsx(tables: list[Table], *, currency: str = "EUR", title: str = "") -> bytes:
    """The tables as one workbook, a sheet each: bold frozen header, filters, number formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = title[:255]
    workbook.properties.creator = "smarketing"
    for table in tables:
        sheet = workbook.create_sheet(table.title.translate(SHEET_FORBIDDEN)[:31])
        sheet.append([neutralise(header) for header in table.headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(header) for header in table.headers]
        for row, kinds in zip(table.rows, table.kinds, strict=True):
            sheet.append([_xlsx_value(value, kind) for value, kind in zip(row, kinds, strict=True)])
            for column, (value, kind) in enumerate(zip(row, kinds, strict=True), start=1):
                number_format = _number_format(kind, currency)
                if number_format:
                    sheet.cell(row=sheet.max_row, column=column).number_format = number_format
                widths[column - 1] = max(widths[column - 1], len(str(value or "")) + 2)
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 10), 60)
        sheet.freeze_panes = "A2"
        if table.rows:
            sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- One entry point for the page, the API and the e-mail -----------------------------------


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    content_type: str


def report_export(report: MonthlyReport, fmt: str, *, table: str = "commitments", params=None) -> ExportFile:
    """The report as ``fmt`` (``csv``: one ``table``; ``xlsx``: every table) in the current language.

    ``params`` are the reader's query parameters (``sep``, ``decimal``); :class:`ExportError` when
    one of them, ``fmt`` or ``table`` is not one we write.
    """
    stem = f"report-{report.sla_id}-{report.month:%Y-%m}"
    if fmt == "csv":
        options = CsvOptions.for_reader(params)
        if table not in TABLES:
            table_named([], table)
        tables = report_tables(report, trend=None if table == "trend" else {"labels": [], "series": {}})
        return ExportFile(f"{stem}-{table}.csv", table_csv(table_named(tables, table), options), CSV_CONTENT_TYPE)
    if fmt == "xlsx":
        tables = report_tables(report)
        title = f"{report.sla.title} – {month_label(report.month, short=False)}"
        currency = report.data.get("currency") or report.sla.currency
        return ExportFile(f"{stem}.xlsx", tables_xlsx(tables, currency=currency, title=title), XLSX_CONTENT_TYPE)
    raise ExportError(_("Unknown format “%(value)s”: use csv or xlsx.") % {"value": fmt})


def export_response(report: MonthlyReport, fmt: str, params):
    """The HTTP response of an export (page and API): the file as an attachment."""
    from django.http import HttpResponse

    export = report_export(report, fmt, table=params.get("table") or "commitments", params=params)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
