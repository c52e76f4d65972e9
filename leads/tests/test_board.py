"""The pipeline board through the test client: counts and deal totals per column, only allowed
moves per card, filters, and a read-only board for viewers."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads import services
from leads.models import Stage
from smarketing.keyset import extra_branch_queries


def _lead(roles, email, stage=Stage.PROSPECT, team=None, **data):
    return services.lead_create(
        data={"email": email, "first_name": "P", **data},
        team=team or roles.marketing,
        by=roles.mkt_manager,
        stage=stage,
    )


def _card(body: str, lead) -> str:
    start = body.index(f'data-move-url="/leads/{lead.pk}/do/transition/"')
    return body[body.rindex("<article", 0, start) : body.index("</article>", start)]


def test_columns_count_and_total_and_cards_offer_only_allowed_moves(roles, client):
    mql = _lead(roles, "m@example.com", Stage.MQL, deal_value=1200)
    _lead(roles, "m2@example.com", Stage.MQL, deal_value=800)
    visitor = services.lead_create(data={}, team=roles.marketing, by=roles.mkt_manager, stage=Stage.VISITOR)
    client.force_login(roles.mkt_member)
    body = client.get(reverse("leads:board")).content.decode()
    column = body[body.index('data-stage-column="mql"') : body.index('data-stage-column="sql"')]
    assert '<span class="badge text-bg-secondary"' in column and ">2</span>" in column
    assert "Deals: €2,000" in column
    card = _card(body, mql)
    assert re.findall(r'<option value="(\w+)"', card) == ["prospect", "lost"]
    assert 'data-targets="prospect lost sql"' in card and 'data-need-sql="handoff"' in card
    card = _card(body, visitor)
    assert re.findall(r'<option value="(\w+)"', card) == ["prospect", "mql", "lost"]
    assert "Sortable.min.js" in body and "<dialog" in body


def test_viewers_see_a_read_only_board(roles, client):
    _lead(roles, "m@example.com", Stage.MQL)
    client.force_login(roles.viewer)
    body = client.get(reverse("leads:board")).content.decode()
    assert "data-readonly" in body and "/do/transition/" in body  # the card names its lead…
    assert '<form method="post"' not in body.split('id="main"')[1].split("<footer")[0]
    assert "Sortable.min.js" not in body


def test_filters_narrow_the_board(roles, client):
    _lead(roles, "mine@example.com", Stage.PROSPECT, last_name="Ours")
    _lead(roles, "theirs@example.com", Stage.PROSPECT, team=roles.other_marketing, last_name="Theirs")
    client.force_login(roles.mkt_manager)
    body = client.get(reverse("leads:board"), {"owner_team": roles.marketing.pk, "page": "x"}).content.decode()
    assert "P Ours" in body and "P Theirs" not in body
    body = client.get(reverse("leads:board"), {"overdue": "true"}).content.decode()
    assert "P Ours" not in body and 'value="true" selected' in body
    assert client.get(reverse("leads:board"), {"owner_team": "nonsense"}).status_code == 200


def _board_queries(client, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("leads:board"), params)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_board_costs_the_same_queries_for_one_card_or_many(roles, client):
    """Every column's cards in one query (a UNION ALL of LIMIT branches), their overdue flags,
    pending handoffs, capped counts and totals one query each: nothing per card or column."""
    _lead(roles, "first@example.com", Stage.MQL)
    client.force_login(roles.mkt_member)
    one, _body = _board_queries(client)
    for n in range(6):
        for stage in (Stage.VISITOR, Stage.PROSPECT, Stage.MQL):
            _lead(roles, f"c{n}-{stage}@example.com", stage, company=f"Co {n}")
    many, body = _board_queries(client)
    # PostgreSQL: the columns' cards in one UNION ALL; SQLite (make run) refuses a LIMIT inside a
    # compound statement, so there each of the 7 columns is its own query (smarketing.keyset).
    assert one == many <= 14 + extra_branch_queries(7)
    assert body.count('data-move><input type="hidden" name="csrfmiddlewaretoken" value="') == 19  # every move form
    filtered, _body = _board_queries(client, owner_team=roles.marketing.pk, overdue="false")
    assert filtered <= many + 1  # the team filter validates its choice


def test_each_card_says_its_moves_and_refusal_in_the_users_language(roles, client):
    lead = _lead(roles, "fr@example.com", Stage.MQL, last_name="Durand")
    client.force_login(roles.mkt_member)
    client.cookies["django_language"] = "fr"
    card = _card(client.get(reverse("leads:board"), HTTP_ACCEPT_LANGUAGE="fr").content.decode(), lead)
    assert 'data-refused="Un lead ne peut pas passer de MQL à __TO__."' in card
    assert f'<label class="visually-hidden" for="move-{lead.pk}">Déplacer P Durand vers</label>' in card
    assert f'<a href="/leads/{lead.pk}/"' in card and f'data-handoff-url="/leads/{lead.pk}/do/handoff/"' in card
    assert re.findall(r'<option value="(\w+)">([^<]+)</option>', card) == [("prospect", "Prospect"), ("lost", "Perdu")]
