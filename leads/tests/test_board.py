"""The pipeline board through the test client: counts and deal totals per column, only allowed
moves per card, filters, and a read-only board for viewers."""

from __future__ import annotations

import re

from django.urls import reverse

from leads import services
from leads.models import Stage


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
