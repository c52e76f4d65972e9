"""Issue 17: every page, for every role, is French for a French user — no English word left.

The pages are every GET case of the permission matrix (``smarketing.tests.pages``), each with a
real object of the matrix's world, visited by each role that may open it with a French profile
(and ``Accept-Language: fr`` for the anonymous visitor). The words a person sees or hears (text,
``title``, ``aria-label``, ``placeholder``, ``alt``, button values, confirmations) are checked
against the English vocabulary of ``smarketing.tests.english``; the world's own data (names,
titles, e-mail addresses, typed notes) is taken out first, since nobody translates a lead's name.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter

import lxml.html
import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import translation
from django.utils.functional import Promise
from drf_spectacular.generators import SchemaGenerator

from slas.models import Profile
from smarketing.tests.english import CODE, english_vocabulary, english_words, french_msgids, typed_text
from smarketing.tests.pages import NOT_PAGES, page_paths
from smarketing.tests.test_permission_matrix import ALL_CASES, ROLES, World, world  # noqa: F401 - the module's world

pytestmark = pytest.mark.django_db

SPOKEN_ATTRIBUTES = ("title", "aria-label", "aria-description", "placeholder", "alt", "data-confirm", "label")
HIDDEN = "//script | //style | //code | //pre | //kbd | //samp | //*[@translate='no']"
# Pages in English only (none: /api/docs/ is our French header; Swagger UI draws the rest with its
# own English buttons, which the HTML does not hold).
ENGLISH_ONLY: set[str] = set()
# Pages with English words known and owned by another branch: {path prefix: {words}} (none now).
KNOWN: dict[str, set[str]] = {}
WALKERS = [role for role in ROLES if role != "revoked_token"]
OUR_APPS = ("slas", "leads", "reporting", "reviews", "smarketing")


def spoken_text(html: str) -> str:
    """What a reader sees or a screen reader says on a page: text, labels, button values, confirmations."""
    document = lxml.html.document_fromstring(html)
    for element in document.xpath(HIDDEN):
        element.drop_tree()
    parts = [" ".join(document.itertext())]
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        parts += [element.get(name) for name in SPOKEN_ATTRIBUTES if element.get(name)]
        if element.tag == "input" and element.get("type") in ("submit", "button", "reset") and element.get("value"):
            parts.append(element.get("value"))
    return "\n".join(parts)


def french_client(matrix: World, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    if role != "anonymous":
        Profile.objects.update_or_create(user=matrix.users[role], defaults={"language": "fr"})
        client.force_login(matrix.users[role])
    return client


def english_on_pages(matrix: World, role: str, paths: list[str]) -> list[str]:
    """``path: words`` for each page of ``paths`` that shows English to ``role`` in French."""
    client = french_client(matrix, role)
    data = typed_text() + sorted(zoneinfo.available_timezones())  # time zone names are names
    problems = []
    for path in paths:
        response = client.get(path)
        if response.status_code in (301, 302):
            response = client.get(response["Location"])
        assert response.status_code < 500, path
        if "text/html" not in response.get("Content-Type", ""):
            continue
        if 'lang="fr"' not in response.text:
            problems.append(f"{path}: not <html lang=fr>")
        found = english_words(spoken_text(response.text), data)
        found = [word for word in found if not any(path.startswith(p) and word in KNOWN[p] for p in KNOWN)]
        if found:
            problems.append(f"{path}: {' '.join(found)}")
    return problems


@pytest.mark.parametrize("role", WALKERS)
def test_every_page_is_french_for_a_french_user(role, world, settings):  # noqa: F811 - the fixture above
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    paths = [path for path in page_paths(world, role, admin=False) if path not in ENGLISH_ONLY]
    assert len(paths) >= (3 if role == "anonymous" else 20), paths
    problems = english_on_pages(world, role, paths)
    assert not problems, f"English words on French pages for {role}:\n" + "\n".join(problems)


def test_every_admin_page_is_french_for_a_french_administrator(world, settings):  # noqa: F811
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    admin_paths = set(page_paths(world, "admin")) - set(page_paths(world, "admin", admin=False))
    paths = [path for path in page_paths(world, "admin") if path in admin_paths]
    assert len(paths) >= 100
    problems = english_on_pages(world, "admin", paths)
    assert not problems, "English words on French admin pages:\n" + "\n".join(problems)


# The pages a person reaches only by sending a form: the answer to a form sent empty (its field
# errors, or the 400/403/409 page that explains) and to the form sent as the matrix sends it (the
# page it leads to, with its confirmation message). Not walked: signing out and the language switch
# (they change the walker's own session), the admin's generated forms (the admin walk above).
POST_SKIPPED = {"logout", "set_language"}
# Who sends each form: the first of these who may (an administrator may do nearly everything).
SENDERS = ["admin", "mkt_manager", "sales_manager", "mkt_member", "sales_member", "viewer", "anonymous"]


def form_posts(matrix: World) -> list[tuple[str, str, dict | None]]:
    """(role, path, data) of every non-API form of the matrix, for the first role allowed to send it."""
    found = []
    for name, cases in sorted(ALL_CASES.items()):
        if name in POST_SKIPPED or name in NOT_PAGES or name.startswith(("admin:", "admin/")):
            continue
        for case in cases:
            path = case.path(matrix)
            if case.method != "post" or path.startswith("/api/"):
                continue
            role = next((role for role in SENDERS if role in case.allowed), None)
            if role is not None:
                found.append((role, path, case.data(matrix) if case.data else None))
    return found


def test_every_answer_to_a_form_is_french(world, settings):  # noqa: F811 - the fixture above
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    posts = form_posts(world)
    assert len(posts) >= 30, posts
    data_words = typed_text() + sorted(zoneinfo.available_timezones())
    problems = []
    answers = Counter()
    for role, path, data in posts:
        for body in ({}, data) if data is not None else ({},):
            cache.clear()
            with transaction.atomic():
                client = french_client(world, role)
                response = client.post(path, body)
                answers["redirected" if response.status_code in (301, 302, 303) else response.status_code] += 1
                if response.status_code in (301, 302, 303):
                    response = client.get(response["Location"])
                transaction.set_rollback(True)
            sent = "empty" if not body else "filled"
            assert response.status_code < 500, f"{path} ({sent})"
            if "text/html" not in response.get("Content-Type", ""):
                continue
            if 'lang="fr"' not in response.text:
                problems.append(f"{role} {path} ({sent}): not <html lang=fr>")
            typed = [value for value in body.values() if isinstance(value, str)]  # what the sender typed
            found = english_words(spoken_text(response.text), data_words + typed)
            if found:
                problems.append(f"{role} {path} ({sent}) → {response.status_code}: {' '.join(found)}")
    assert not problems, "English words in the answers to forms sent in French:\n" + "\n".join(problems)
    # The walk saw both kinds of answer: forms drawn again with their errors, and the pages a form leads to.
    assert answers[200] >= 10 and answers["redirected"] >= 20, answers


@pytest.mark.django_db(False)
def test_every_model_and_field_of_ours_has_a_french_name():
    """The admin's labels and help texts: a field without a translatable ``verbose_name``, or with
    one the catalogue does not translate, would be English in the French admin."""
    french = french_msgids()
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        texts = {"verbose_name": model._meta.verbose_name, "verbose_name_plural": model._meta.verbose_name_plural}
        for field in model._meta.get_fields():
            if not field.auto_created:
                texts[field.name] = field.verbose_name
                if field.help_text:
                    texts[f"{field.name}.help_text"] = field.help_text
        for what, text in texts.items():
            with translation.override("en"):
                msgid = str(text)
            if not isinstance(text, Promise) or msgid not in french:
                missing.append(f"{model._meta.label}.{what}: {msgid!r}")
    assert not missing, "Untranslated model names:\n" + "\n".join(missing)


def test_the_api_schema_is_french_where_its_texts_are_ours():
    """/api/docs/ for a French reader: every operation's and webhook's summary, description and
    response descriptions, the field help written for the schema, the title, and a note that the
    guide is English. Codes between backticks (`pending`, `sales`) stay codes."""
    with translation.override("fr"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [op for ops in (*schema["paths"].values(), *schema["webhooks"].values()) for op in ops.values()]
    texts = [op[key] for op in operations for key in ("summary", "description") if op.get(key)]
    texts += [response["description"] for op in operations for response in op.get("responses", {}).values()]
    assert len(texts) >= 400
    english = {text: english_words(CODE.sub(" ", text)) for text in texts}
    assert {text[:80]: words for text, words in english.items() if words} == {}
    assert schema["paths"]["/api/v1/leads/{id}/transition/"]["post"]["description"].startswith("Fait passer le lead")
    target = schema["components"]["schemas"]["CommitmentStatus"]["properties"]["target"]
    assert target["description"] == "La cible du SLA, en `unit`."
    assert schema["info"]["title"] == "API smarketing"
    assert schema["info"]["description"].startswith("*Le guide d’intégration ci-dessous est en anglais")


def test_the_net_catches_english_and_spares_french_and_data():
    assert english_words("Rapport mensuel : 3 overdue, Sales") == ["Sales", "overdue"]
    assert english_words("Tableau de bord · Notifications · Date · Total · Client") == []
    assert english_words("Lead Inside sales assigné", ["Inside sales"]) == []
    assert english_words("Mettez l’extrait HTML", ["extra"]) == []  # data is taken out as whole words
    assert {"the", "overdue", "unknown"} <= english_vocabulary()
    html = '<p>Bonjour<script>var done = "Done"</script></p><button title="Save" aria-label="Fermer"></button>'
    assert english_words(spoken_text(html)) == ["Save"]
    assert english_words("Événements : report.ready, lead.handed_off · empreinte 3bad09f1c2e4") == []
    assert english_words("sel : by3kd2********** hachage : is8dY+**********") == []
