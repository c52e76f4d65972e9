"""The list, board and lookup queries stay index-served: plans checked on PostgreSQL, results everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from leads import services, views
from leads.filters import LeadFilter, lead_list_queryset
from leads.models import Lead, Stage
from leads.queries import capped_counts
from smarketing.keyset import extra_branch_queries

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")


def plan(queryset) -> str:
    """The plan PostgreSQL picks when a sequential scan is the last resort (tiny test tables)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")


def overdue_lead(roles, email: str) -> Lead:
    """An MQL handed off ten days ago: its handoff decision is overdue."""
    now = dt.datetime.now(dt.UTC)
    lead = services.lead_create(
        data={"email": email},
        team=roles.marketing,
        by=roles.mkt_member,
        stage=Stage.MQL,
        occurred_at=now - dt.timedelta(days=11),
    )
    services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_member, occurred_at=now - dt.timedelta(days=10))
    return lead


def test_the_email_lookup_is_case_insensitive_and_exact(roles):
    lead = services.lead_create(data={"email": "Ada@Example.com"}, team=roles.marketing, by=roles.mkt_member)
    services.lead_create(data={"email": "ada@example.co"}, team=roles.marketing, by=roles.mkt_member)
    assert list(Lead.objects.with_email(" ADA@example.COM ")) == [lead]
    assert not Lead.objects.with_email("").exists()
    again = services.lead_create(data={"email": "ADA@EXAMPLE.COM"}, team=roles.marketing, by=roles.mkt_member)
    assert again.pk == lead.pk and again.captured_again


@postgres_only
def test_the_email_lookup_reads_the_unique_lower_index(roles):
    assert "lead_unique_email_ci" in plan(Lead.objects.with_email("ada@example.com"))


@postgres_only
@pytest.mark.parametrize("column", ["first_name", "last_name", "company"])
def test_a_search_term_reads_the_trigram_indexes(roles, column):
    # The search's own expression, UPPER(column::text) LIKE '%TERM%', column by column. (On an
    # empty table the e-mail's partial unique index is the cheaper stand-in for a scan, so the
    # e-mail column is measured in the bench instead.)
    assert f"leads_lead_{column}_trgm" in plan(Lead.objects.order_by().filter(**{f"{column}__icontains": "zebra"}))


def test_the_stage_filter_selects_no_distinct(roles):
    sql = str(LeadFilter({"stage": [Stage.MQL, Stage.SQL]}, queryset=lead_list_queryset()).qs.query)
    assert "DISTINCT" not in sql.upper()


def test_list_pages_flag_overdue_leads_in_one_query(roles, sla, client, django_assert_max_num_queries):
    late = overdue_lead(roles, "late@example.com")
    services.lead_create(data={"email": "fine@example.com"}, team=roles.marketing, by=roles.mkt_member)
    api = APIClient()
    api.force_authenticate(roles.viewer)
    rows = {row["email"]: row["is_overdue"] for row in api.get("/api/v1/leads/").json()["results"]}
    assert rows == {"late@example.com": True, "fine@example.com": False}
    client.force_login(roles.viewer)
    body = client.get(reverse("leads:list")).content.decode()
    assert body.count("badge text-bg-danger") == 1
    board = client.get(reverse("leads:board"))
    [mql_column] = [c for c in board.context["columns"] if c["stage"] == Stage.MQL]
    assert [(card.pk, card.has_overdue) for card in mql_column["cards"]] == [(late.pk, True)]
    # The page's flag is one query for the page, not an EXISTS planned over every overdue row.
    assert "EXISTS" not in str(lead_list_queryset().query).upper()


def test_board_counts_stop_at_the_cap(roles, client, monkeypatch):
    for n in range(4):
        services.lead_create(data={"email": f"b{n}@example.com"}, team=roles.marketing, by=roles.mkt_member)
    assert capped_counts({"all": Lead.objects.all(), "mql": Lead.objects.filter(stage=Stage.MQL)}, 2) == {
        "all": 3,
        "mql": 0,
    }
    monkeypatch.setattr(views, "BOARD_COUNT_CAP", 3)
    client.force_login(roles.viewer)
    columns = {c["stage"]: c for c in client.get(reverse("leads:board")).context["columns"]}
    assert (columns[Stage.PROSPECT]["count"], columns[Stage.PROSPECT]["count_capped"]) == (3, True)
    assert (columns[Stage.MQL]["count"], columns[Stage.MQL]["count_capped"]) == (0, False)
    assert ">3+<" in client.get(reverse("leads:board")).content.decode().replace(" ", "")


def _walk(client, params: dict, direction: str = "after") -> list[list[str]]:
    """Every page of the lead list, following the Next (or Previous) links."""
    pages = []
    response = client.get(reverse("leads:list"), params)
    while True:
        page = response.context["page"]
        pages.append([lead.email for lead in page])
        cursor = page.next_cursor if direction == "after" else page.previous_cursor
        if cursor is None:
            return pages
        response = client.get(reverse("leads:list"), {**params, direction: cursor})


@pytest.mark.parametrize("sort", ["-created", "company", "-company", "name", "owner", "stage"])
def test_keyset_pages_walk_the_whole_list_in_order(roles, client, sort):
    companies = ["Beta", "Alpha", "Beta", "Gamma", "Alpha", "Beta", "Delta"]
    for n, company in enumerate(companies):
        services.lead_create(
            data={"email": f"k{n}@example.com", "company": company, "last_name": company},
            team=roles.marketing,
            by=roles.mkt_member,
        )
    client.force_login(roles.viewer)
    ordering, _ = views._ordering(type("R", (), {"GET": {"sort": sort}})())
    expected = [lead.email for lead in lead_list_queryset().order_by(*ordering)]
    pages = _walk(client, {"sort": sort, "page_size": 3})
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [email for page in pages for email in page] == expected
    # Back from the last page with the Previous links: the same pages, in reverse.
    last = client.get(reverse("leads:list"), {"sort": sort, "page_size": 3})
    for _ in range(2):
        last = client.get(
            reverse("leads:list"), {"sort": sort, "page_size": 3, "after": last.context["page"].next_cursor}
        )
    back = [[lead.email for lead in last.context["page"]]]
    while last.context["page"].previous_cursor:
        last = client.get(
            reverse("leads:list"), {"sort": sort, "page_size": 3, "before": last.context["page"].previous_cursor}
        )
        back.append([lead.email for lead in last.context["page"]])
    assert back[::-1] == pages


def test_a_bad_cursor_shows_the_first_page_and_small_totals_are_exact(roles, client):
    for n in range(3):
        services.lead_create(data={"email": f"c{n}@example.com"}, team=roles.marketing, by=roles.mkt_member)
    client.force_login(roles.viewer)
    for cursor in ["%%%", "bm90IGpzb24", "WzFd", ""]:
        response = client.get(reverse("leads:list"), {"after": cursor, "page_size": 2})
        assert response.status_code == 200
        assert len(response.context["page"]) == 2 and not response.context["page"].has_previous
    page = client.get(reverse("leads:list"), {"stage": Stage.PROSPECT}).context["page"]
    assert (page.count, page.count_exact) == (3, True)
    assert "3 results" in client.get(reverse("leads:list")).content.decode()
    client.cookies["django_language"] = "fr"
    assert "3 résultats" in client.get(reverse("leads:list"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def test_a_deep_page_costs_the_queries_of_the_first(roles, client):
    for n in range(12):
        services.lead_create(data={"email": f"d{n}@example.com"}, team=roles.marketing, by=roles.mkt_member)
    client.force_login(roles.viewer)
    with CaptureQueriesContext(connection) as first_queries:
        first = client.get(reverse("leads:list"), {"page_size": 2})
    cursor = first.context["page"].next_cursor
    for _ in range(4):
        cursor = client.get(reverse("leads:list"), {"page_size": 2, "after": cursor}).context["page"].next_cursor
    with CaptureQueriesContext(connection) as deep_queries:
        response = client.get(reverse("leads:list"), {"page_size": 2, "after": cursor})
    assert len(deep_queries) == len(first_queries)
    assert not any("OFFSET" in query["sql"] for query in deep_queries.captured_queries)
    assert [lead.email for lead in response.context["page"]] == ["d1@example.com", "d0@example.com"]


def test_a_big_total_is_the_planners_estimate(roles, monkeypatch):
    from smarketing import keyset

    for n in range(5):
        services.lead_create(data={"email": f"e{n}@example.com"}, team=roles.marketing, by=roles.mkt_member)
    assert keyset.estimated_count(Lead.objects.all()) == (5, True)
    monkeypatch.setattr(keyset, "EXACT_COUNT_BELOW", 3)
    count, exact = keyset.estimated_count(Lead.objects.all())
    if connection.vendor == "postgresql":
        assert not exact and count >= 3
    else:
        assert (count, exact) == (5, True)


def _followups(roles, count: int) -> list:
    """``count`` open follow-ups of the sales member, half of them overdue."""
    from leads.models import FollowUp

    now = dt.datetime.now(dt.UTC)
    lead = services.lead_create(data={"email": f"f{count}@example.com"}, team=roles.marketing, by=roles.mkt_member)
    return FollowUp.objects.bulk_create(
        FollowUp(
            lead=lead,
            kind=FollowUp.Kind.FIRST_CONTACT,
            starts_at=now - dt.timedelta(days=3),
            due_at=now + dt.timedelta(hours=n - count // 2, minutes=30),
            owner_team=roles.sales,
            owner_user=roles.sales_member,
        )
        for n in range(count)
    )


@pytest.mark.parametrize("path", ["leads:followups", "api-followup-list"])
def test_followup_pages_walk_by_keyset_with_the_overdue_flag_in_one_query(roles, client, path):
    made = _followups(roles, 120)
    client.force_login(roles.sales_member)
    api = path.startswith("api")
    seen, flags, url, pages = [], {}, reverse(path), []
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        pages.append(len(queries))
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        assert "OFFSET" not in sql.upper().replace("OFFSET 0", "")
        assert "EXISTS" not in sql.upper()  # no overdue subplan over the table in the list's SELECT
        if api:
            body = response.json()
            assert body["count"] == 120  # exact below 1,000 rows
            rows = [(row["id"], row["is_overdue"]) for row in body["results"]]
            url = body["next"]
        else:
            rows = [(f.pk, f.is_overdue) for f in response.context["page"]]
            page = response.context["page"]
            url = f"{reverse(path)}?after={page.next_cursor}" if page.has_next else None
        seen += [pk for pk, _flag in rows]
        flags.update(rows)
    # Every follow-up once, in due order; the first 60 are overdue; every page costs the same.
    assert seen == [f.pk for f in made]
    assert [flags[f.pk] for f in made] == [True] * 60 + [False] * 60
    assert len(set(pages)) == 1


def test_my_first_followups_come_in_due_order_from_index_served_branches(roles):
    """``mine_first`` answers ``mine`` (assigned to me, or unassigned in one of my teams), due
    order, cut at the limit — one UNION ALL query whose branches each read their own index."""
    from leads.models import FollowUp

    now = dt.datetime.now(dt.UTC)
    lead = services.lead_create(data={"email": "mine@example.com"}, team=roles.marketing, by=roles.mkt_member)
    owners = [
        (roles.sales, roles.sales_member),  # mine
        (roles.sales, None),  # my team's, unassigned
        (roles.sales, roles.sales_manager),  # a teammate's
        (roles.other_sales, None),  # another team's
        (roles.other_sales, roles.sales_member),  # mine, in another team
    ]
    FollowUp.objects.bulk_create(
        FollowUp(
            lead=lead,
            kind=FollowUp.Kind.FIRST_CONTACT,
            starts_at=now - dt.timedelta(days=9),
            due_at=now - dt.timedelta(hours=50 - n),
            owner_team=team,
            owner_user=user,
        )
        for n in range(25)
        for team, user in [owners[n % len(owners)]]
    )
    overdue = FollowUp.objects.overdue()
    for user in (roles.sales_member, roles.sales_manager, roles.other_sales_member, roles.mkt_member):
        for limit in (3, 20):
            expected = list(overdue.mine(user).order_by("due_at", "pk")[:limit])
            with CaptureQueriesContext(connection) as queries:
                got = overdue.select_related("lead", "sla").mine_first(user, limit)
            assert got == expected
            # The user's teams (once per request) and the rows; SQLite (make run) cannot LIMIT inside
            # a UNION, so there each team's branch is a query of its own (smarketing.keyset).
            assert len(queries) <= 2 + extra_branch_queries(1 + user.memberships.count())
    assert len(overdue.mine_first(roles.sales_member, 20)) == 15
    if connection.vendor == "postgresql":
        union = overdue.filter(owner_user__isnull=True, owner_team=roles.sales).order_by("due_at", "pk")[:20]
        assert "leads_followup_team_open" in plan(union)
