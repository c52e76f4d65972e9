"""CSV import of leads: decoding, column mapping, per-row validation and the all-or-nothing load.

The same ``preview`` runs on the upload page, in the API and again inside the background
task, so a file is never imported without passing exactly the checks the user saw.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from slas.models import Function, Team
from smarketing.bulk import gc_paused

from .models import MARKETING_STAGES, Lead, Source

# Defaults of the IMPORT_MAX_BYTES / IMPORT_MAX_ROWS settings (docs/security.md).
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMN_NAME = 200
# Lead fields a column can map to; "team", "stage" and "created_at" are resolved specially.
IMPORT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "job_title",
    "channel",
    "stage",
    "team",
    "created_at",
)


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", MAX_ROWS))


def read_upload(upload) -> tuple[str, list[str]]:
    """The text and header of an uploaded CSV, refused before anything is stored when it is too
    large (``IMPORT_MAX_BYTES``), binary, not CSV, or longer than ``IMPORT_MAX_ROWS`` rows."""
    limit = max_bytes()
    too_large = ValidationError(
        _("The file is too large: at most %(mb)s MB.") % {"mb": round(limit / 1024 / 1024, 1)}, code="too_large"
    )
    if upload.size is not None and upload.size > limit:
        raise too_large
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    text = decode(raw)
    headers, rows = read(text)
    if not headers:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(rows) > max_rows():
        raise ValidationError(_("At most %(n)s rows per file.") % {"n": max_rows()}, code="too_many_rows")
    return text, headers


def validate_mapping(mapping, headers: list[str] | None = None) -> dict[str, str]:
    """A mapping ``{csv column: lead field}`` as the import accepts it, or ValidationError.

    The one check for the API, the upload page and the task: an object of short column names
    to known lead fields, each field fed by one column at most.
    """
    if mapping in (None, ""):
        return {}
    if not isinstance(mapping, dict):
        raise ValidationError(_("The mapping is an object {“CSV column”: “lead field”}."), code="invalid")
    if len(mapping) > len(IMPORT_FIELDS):
        raise ValidationError(_("Map at most one column to each lead field."), code="invalid")
    result: dict[str, str] = {}
    for column, target in mapping.items():
        if not isinstance(column, str) or not column.strip() or len(column) > MAX_COLUMN_NAME:
            raise ValidationError(_("Each column name is a text of at most 200 characters."), code="invalid")
        if target not in IMPORT_FIELDS:
            raise ValidationError(
                _("Unknown lead field “%(field)s”; choose among: %(fields)s.")
                % {"field": str(target)[:50], "fields": ", ".join(IMPORT_FIELDS)},
                code="invalid",
            )
        if headers is not None and column not in headers:
            raise ValidationError(_("The file has no column “%(column)s”.") % {"column": column}, code="invalid")
        result[column] = target
    if len(set(result.values())) != len(result):
        raise ValidationError(_("Map at most one column to each lead field."), code="invalid")
    return result


def decode(raw: bytes) -> str:
    """UTF-8 with or without BOM, else Latin-1 (which decodes any byte sequence).

    A NUL byte never appears in a CSV text file: such an upload (an image, a spreadsheet) is
    refused here, before it could reach the job's JSON parameters.
    """
    if b"\x00" in raw:
        raise ValidationError(_("This is not a CSV text file. Export the sheet as CSV and try again."), code="binary")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _dialect(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def read(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and data rows; ValidationError for what the csv module cannot read (a cell longer
    than its field limit, a NUL byte) instead of an exception from deep inside the import."""
    reader = csv.reader(io.StringIO(text), delimiter=_dialect(text))
    try:
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise ValidationError(
            _("Line %(line)s cannot be read as CSV: %(error)s") % {"line": reader.line_num, "error": error},
            code="csv",
        ) from error
    if not rows:
        return [], []
    return [h.strip() for h in rows[0]], rows[1:]


def default_mapping(headers: list[str]) -> dict[str, str]:
    normalized = {h.strip().lower().replace(" ", "_").replace("-", "_"): h for h in headers}
    aliases = {
        "e_mail": "email",
        "mail": "email",
        "firstname": "first_name",
        "lastname": "last_name",
        "date": "created_at",
    }
    mapping = {}
    for key, header in normalized.items():
        target = aliases.get(key, key)
        if target in IMPORT_FIELDS:
            mapping[header] = target
    return mapping


@dataclass
class Preview:
    headers: list[str]
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row": n (1 = first data row), "field", "message"}

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _parse_when(value: str) -> dt.datetime | None:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            for fmt in ("%d/%m/%Y", "%d.%m.%Y"):
                try:
                    day = dt.datetime.strptime(value, fmt).date()
                    break
                except ValueError:
                    continue
        if day is None:
            raise ValueError(value)
        moment = dt.datetime.combine(day, dt.time(12))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def preview(text: str, mapping: dict[str, str] | None = None, default_team: Team | None = None) -> Preview:
    """Map and validate every row; each problem is reported with its row number."""
    result = Preview(headers=[])
    try:
        headers, raw_rows = read(text)
        mapping = validate_mapping(mapping, headers) or default_mapping(headers)
    except ValidationError as error:
        result.errors.append({"row": 0, "field": "", "message": " ".join(error.messages)})
        return result
    result.headers = headers
    if len(raw_rows) > max_rows():
        result.errors.append({"row": 0, "field": "", "message": _("At most %(n)s rows per file.") % {"n": max_rows()}})
        return result
    if not raw_rows:
        result.errors.append({"row": 0, "field": "", "message": _("The file has no data rows.")})
        return result
    teams = {t.name.lower(): t for t in Team.objects.filter(function=Function.MARKETING)}
    seen_emails: dict[str, int] = {}
    now = timezone.now()
    with gc_paused():  # thousands of rows built (smarketing.bulk.gc_paused)
        for number, raw in enumerate(raw_rows, start=1):
            values = {
                target: (raw[headers.index(src)].strip() if headers.index(src) < len(raw) else "")
                for src, target in mapping.items()
                if src in headers and target in IMPORT_FIELDS
            }
            row: dict = {"number": number, "data": {}}

            def error(field_name: str, message: str, number: int = number) -> None:
                result.errors.append({"row": number, "field": field_name, "message": message})

            for name in ("first_name", "last_name", "phone", "company", "job_title", "channel"):
                if values.get(name):
                    row["data"][name] = values[name]
            email = values.get("email", "").lower()
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    error("email", _("“%(value)s” is not a valid e-mail address.") % {"value": email})
                if email in seen_emails:
                    error("email", _("Duplicate in the file (row %(row)s).") % {"row": seen_emails[email]})
                seen_emails.setdefault(email, number)
                row["data"]["email"] = email
            stage = values.get("stage", "").lower() or "prospect"
            if stage not in MARKETING_STAGES:
                error("stage", _("Unknown stage “%(value)s” (visitor, prospect or mql).") % {"value": stage})
            row["stage"] = stage
            anonymous = Lead.identity_error(
                stage,
                first_name=row["data"].get("first_name", ""),
                last_name=row["data"].get("last_name", ""),
                email=row["data"].get("email", ""),
            )
            if anonymous:
                error("last_name", anonymous)
            team_name = values.get("team", "")
            team = teams.get(team_name.lower()) if team_name else default_team
            if team is None:
                error("team", _("Unknown marketing team “%(value)s”.") % {"value": team_name})
            row["team"] = team.pk if team else None
            when = values.get("created_at", "")
            row["occurred_at"] = None
            if when:
                try:
                    moment = _parse_when(when)
                except ValueError:
                    error("created_at", _("“%(value)s” is not a date.") % {"value": when})
                else:
                    if moment > now:
                        error("created_at", _("The date is in the future."))
                    row["occurred_at"] = moment.isoformat()
            result.rows.append(row)
    _mark_existing(result.rows)
    return result


def _mark_existing(rows: list[dict], chunk: int = 1000) -> None:
    """``row["existing"]``: the id of the lead that already has the row's e-mail, else None.

    Such a row creates nothing: it logs a touch on that lead and may only fill its blank fields
    (``leads.services.capture_merge``). One query per thousand rows.
    """
    emails = [row["data"]["email"] for row in rows if row["data"].get("email")]
    existing: dict[str, int] = {}
    for start in range(0, len(emails), chunk):
        batch = emails[start : start + chunk]
        existing.update((email.lower(), pk) for email, pk in Lead.objects.with_email(*batch).values_list("email", "pk"))
    for row in rows:
        row["existing"] = existing.get(row["data"].get("email") or "")


def load(rows: list[dict], *, by, progress=None) -> int:
    """Create every row in one transaction, set-based (``leads_create_many``): all rows or none.

    ``progress(done)`` is called after each chunk of rows written.
    """
    from .services import leads_create_many

    teams = {t.pk: t for t in Team.objects.filter(pk__in={r["team"] for r in rows})}
    items = [
        {
            "number": row["number"],
            "data": row["data"],
            "team": teams[row["team"]],
            "stage": row["stage"],
            "occurred_at": dt.datetime.fromisoformat(row["occurred_at"]) if row["occurred_at"] else None,
        }
        for row in rows
    ]
    return leads_create_many(items=items, by=by, source=Source.IMPORT, progress=progress)
