"""The audit log reads newest first, page after page (Trust item 18)."""

from __future__ import annotations

from datetime import UTC, datetime

from authsvc.audit.models import AuditEntry
from authsvc.db import new_id
from authsvc.extensions import db
from authsvc.tenancy import tenant_context


def _all_pages(client, **query) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        body = client.get("/audit", query_string=params).json
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def test_does_the_audit_api_list_the_newest_entry_first(tenant_app, make_user, tenant):
    emails = [make_user(tenant)["email"] for _ in range(3)]
    first = tenant_app.client.get(
        "/audit", query_string={"action": "user.created", "limit": 2}
    ).json
    assert [e["changes"]["user"]["email"] for e in first["items"]] == emails[::-1][:2]
    rest = _all_pages(tenant_app.client, action="user.created", limit=2)
    assert [e["changes"]["user"]["email"] for e in rest] == emails[::-1]
    times = [e["created_at"] for e in rest]
    assert times == sorted(times, reverse=True)


def test_do_entries_of_one_instant_keep_one_order_across_pages(app, tenant_app, tenant):
    """Ties on created_at are broken by id (descending), and the cursor carries both."""
    instant = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with app.app_context(), tenant_context(tenant[0]):
        ids = [new_id() for _ in range(5)]
        for entry_id in ids:
            db.session.add(
                AuditEntry(id=entry_id, created_at=instant, actor_type="system", action="tie.test")
            )
        db.session.commit()
    paged = _all_pages(tenant_app.client, action="tie.test", limit=2)
    assert [e["id"] for e in paged] == [str(i) for i in sorted(ids, reverse=True)]


def test_is_a_cursor_that_this_api_did_not_return_refused(tenant_app):
    response = tenant_app.client.get("/audit", query_string={"cursor": "not-a-cursor"})
    assert response.status_code == 422 and "cursor" in response.json["errors"]
