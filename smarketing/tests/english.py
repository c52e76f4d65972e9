"""A net for English words in French output, shared by the page walk and the output tests.

The English vocabulary is read from the catalogues, not typed by hand: every word of an English
``msgid`` (ours and Django's) that never appears in a French ``msgstr``. So "overdue", "the" or
"Sales" are English, while "Date", "Notifications", "Client" or "Total", written the same in both
languages, are not. A word a page shows that is in this vocabulary is an English word on a French
page: a string that skipped ``gettext``, a choice label without ``gettext_lazy``, a missing entry.
"""

from __future__ import annotations

import functools
import html as html_module
import re
from pathlib import Path

import django
import polib
from django.apps import apps
from django.conf import settings
from django.db import models

WORD = re.compile(r"[^\W\d_]+(?:[’'][^\W\d_]+)?")
# Same in both languages: names, acronyms, formats and units a French reader expects as they are.
ALLOWED = {
    "smarketing", "sla", "slas", "mql", "mqls", "sql", "sqls", "csv", "xlsx", "pdf", "json", "api", "rest", "ical",
    "openapi", "swagger", "redoc", "url", "html", "id", "ok", "token", "tokens", "webhook", "webhooks", "lead",
    "leads", "email", "e", "mail", "smtp", "http", "https", "utc", "iso", "post", "get", "true", "false", "next",
    "previous", "cursor", "marketing", "crm", "ics", "www", "org", "com", "example", "hmac", "sha", "kpi",
    "english",  # the language switch names each language in its own tongue
}  # fmt: skip
# Common English words that a catalogue might not hold on its own.
EXTRA_ENGLISH = {
    "the", "and", "of", "for", "with", "your", "you", "this", "that", "is", "are", "was", "no", "yes", "not",
    "none", "unknown", "any", "all", "done", "in", "progress", "save", "edit", "delete", "view", "back", "by",
    "from", "to", "or", "at", "per", "show", "hide", "open", "close", "more", "less", "new", "read", "unread",
}  # fmt: skip
CATALOGUES = [
    Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po",
    *(
        Path(django.__file__).parent / folder / "locale" / "fr" / "LC_MESSAGES" / "django.po"
        for folder in ("conf", "contrib/admin", "contrib/auth", "contrib/contenttypes", "contrib/sessions")
    ),
]
CODE = re.compile(r"`[^`]*`")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}|<[^>]+>")


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(PLACEHOLDER.sub(" ", text))}


@functools.cache
def english_vocabulary() -> frozenset[str]:
    english: set[str] = set(EXTRA_ENGLISH)
    french: set[str] = set()
    for path in CATALOGUES:
        if not path.exists():
            continue
        for entry in polib.pofile(str(path)):
            if entry.obsolete or not entry.msgid:
                continue
            english |= words(entry.msgid) | words(entry.msgid_plural or "")
            translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
            for translation in translations:
                # Code in a translation (`pending`, `sales`) is not French: it stays English.
                french |= words(CODE.sub(" ", translation))
    return frozenset(word for word in english - french - ALLOWED if len(word) > 1)


@functools.cache
def french_msgids() -> frozenset[str]:
    """The English texts that the catalogues (ours and Django's) translate into French."""
    found = set()
    for path in CATALOGUES:
        if path.exists():
            found |= {entry.msgid for entry in polib.pofile(str(path)) if entry.translated() and not entry.obsolete}
    return frozenset(found)


def english_words(text: str, data: list[str] = ()) -> list[str]:
    """The English words of ``text`` once the data (names, titles, e-mails, links) is taken out."""
    # Whole words only: a token named "extra" must not turn "extrait" into "it".
    for value in sorted({value for value in data if value}, key=len, reverse=True):
        if value in text:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    # Links, addresses, paths and dotted identifiers (event types such as ``report.ready``) are codes.
    text = re.sub(r"https?://\S+|\S+@\S+|/[\w./?=&%-]+|\b[a-z_]+(?:\.[a-z_]+)+\b", " ", text)
    text = re.sub(r"\b[0-9a-f]{8,}\b", " ", text)  # fingerprints and hashes ("3bad…" is not "bad")
    # Masked secrets show their first characters (a password's salt "by3kd2**********" is not "by").
    text = re.sub(r"\S*\*{4,}\S*", " ", text)
    vocabulary = english_vocabulary()
    return sorted({word for word in WORD.findall(text) if word.lower() in vocabulary})


def typed_text() -> list[str]:
    """Every value people typed in the database (names, titles, notes, e-mails): not the app's words.

    Fields with choices are left out: their labels are the app's words and must be translated.
    """
    data = []
    for model in apps.get_models():
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, (models.CharField, models.TextField)) and not field.choices
        ]
        if not fields or model._meta.app_label in ("sessions", "admin", "contenttypes"):
            continue
        for row in model.objects.values_list(*fields):
            data += [str(value) for value in row if value and len(str(value)) > 2]
    return data


def visible_text(html: str) -> str:
    """The text and image descriptions of an e-mail's HTML part, as its reader sees them."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    alts = " ".join(re.findall(r'\salt="([^"]*)"', html))
    return html_module.unescape(re.sub(r"<[^>]+>", " ", html) + " " + alts)
