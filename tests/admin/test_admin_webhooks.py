"""The webhooks pages of the panel: the event checklist, the delivery log with each attempt
as signed and answered, "Retry now" on pending and failed deliveries only, "Replay
failed since…", the 24-hour success rate, and tenant walls around all of it."""

from __future__ import annotations

import html
import json
import re

from standardwebhooks import Webhook

from tests.webhooks.conftest import create_webhook, deliveries


def _page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.text)


def test_event_types_are_a_checklist_of_the_catalogue_with_wildcards(admin_client, tenant):
    client = admin_client(tenant)
    page = _page(client, "/admin/webhooks/new")
    boxes = set(re.findall(r'<input[^>]*type="checkbox"[^>]*value="([^"]+)"', page))
    assert {"*", "user.*", "session.*", "user.created", "grant.revoked"} <= boxes
    created = client.post(
        "/admin/webhooks/new",
        {"url": "https://hooks.example.com/in", "event_types": ["user.*", "session.created"]},
    )
    assert created.status_code == 201


def test_a_bad_webhook_form_reports_every_error_at_once(admin_client, tenant):
    """No URL and a look-alike event type: both fields are flagged in one answer."""
    client = admin_client(tenant)
    refused = client.post("/admin/webhooks/new", {"url": "", "event_types": ["user.created "]})
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    assert "This field is required." in page
    assert "'user.created ' is not a valid choice" in page
    nothing = client.post("/admin/webhooks/new", {"url": "https://hooks.example.com/x"})
    assert nothing.status_code == 422 and "at least one" in html.unescape(nothing.text)


def test_delivery_detail_shows_each_attempt_as_signed_and_answered(
    admin_client, tenant, hooks, receiver, drain
):
    hook = create_webhook(hooks, receiver.url("log"), event_types=["user.*"])
    receiver.script("log", status=503, body=b"down for maintenance", headers={"x-why": "deploy"})
    hooks.post("/users", json={"email": "logged@example.com"})
    drain()
    [row] = deliveries(hooks, hook["id"])
    assert (row["state"], row["attempt"]) == ("succeeded", 2)
    first, second = receiver.at("log")
    client = admin_client(tenant)
    page = _page(client, f"/admin/webhooks/{hook['id']}/deliveries/{row['id']}")
    assert "Attempt 1" in page and "Attempt 2" in page and "HTTP 503" in page
    assert "down for maintenance" in page and "x-why" in page and "deploy" in page
    # The bodies and signatures shown are exactly what the receiver got and verified.
    bodies = re.findall(r'data-testid="request-body">(.*?)</pre>', page, re.S)
    assert [b.encode() for b in bodies] == [first.body, second.body]
    assert first.headers["webhook-signature"] in page
    assert second.headers["webhook-signature"] in page
    Webhook(hook["secret"]).verify(bodies[1].encode(), second.headers)
    assert json.loads(bodies[0])["type"] == "user.created"
    assert re.search(r"Attempt 2 · [0-9: -]+ UTC · \d+ ms", page)
    assert "Retry now" not in page, "a succeeded delivery is not offered a retry"


def test_retry_now_is_offered_on_failed_deliveries_and_refused_on_succeeded(
    admin_client, tenant, hooks, receiver, drain, webhook_config
):
    webhook_config(WEBHOOK_RETRY_SCHEDULE=[])
    hook = create_webhook(hooks, receiver.url("flaky"), event_types=["user.*"])
    receiver.script("flaky", status=500)
    hooks.post("/users", json={"email": "first@example.com"})
    hooks.post("/users", json={"email": "second@example.com"})
    drain()
    by_state = {d["state"]: d for d in deliveries(hooks, hook["id"])}
    failed, ok = by_state["failed"], by_state["succeeded"]
    client = admin_client(tenant)
    listing = _page(client, f"/admin/webhooks/{hook['id']}")
    assert listing.count("Retry now") == 1
    assert "50%" in listing and "1 succeeded, 1 failed, 0 pending" in listing
    refused = client.post(f"/admin/webhooks/{hook['id']}/deliveries/{ok['id']}/retry")
    assert refused.status_code == 302
    assert "only pending or failed" in _page(client, f"/admin/webhooks/{hook['id']}")
    assert hooks.post(f"/webhooks/{hook['id']}/deliveries/{ok['id']}/retry").status_code == 409
    queued = client.post(
        f"/admin/webhooks/{hook['id']}/deliveries/{failed['id']}/retry", {"back": "delivery"}
    )
    assert queued.headers["Location"].endswith(f"/deliveries/{failed['id']}")
    detail = _page(client, queued.headers["Location"])
    assert "pending" in detail and "Next attempt (UTC)" in detail
    drain()
    states = sorted(d["state"] for d in deliveries(hooks, hook["id"]))
    assert states == ["succeeded", "succeeded"]


def test_replay_failed_since_needs_confirmation_and_counts_first(
    admin_client, tenant, hooks, receiver, drain, webhook_config
):
    webhook_config(WEBHOOK_RETRY_SCHEDULE=[])
    hook = create_webhook(hooks, receiver.url("outage"), event_types=["user.*"])
    receiver.script("outage", status=502, times=3)
    for name in ("a", "b", "c"):
        hooks.post("/users", json={"email": f"{name}@example.com"})
    drain()
    assert {d["state"] for d in deliveries(hooks, hook["id"])} == {"failed"}
    client = admin_client(tenant)
    url = f"/admin/webhooks/{hook['id']}/replay"
    assert "3 failed deliveries since" in _page(client, url)
    unconfirmed = client.post(url, {"since": "2000-01-01T00:00"})
    assert unconfirmed.status_code == 422 and "Tick to confirm." in unconfirmed.text
    assert {d["state"] for d in deliveries(hooks, hook["id"])} == {"failed"}
    bad = client.post(url, {"since": "yesterday-ish", "confirm": "y"})
    assert bad.status_code == 422 and "Give a date and time" in bad.text
    future = client.post(url, {"since": "2999-01-01T00:00", "confirm": "y"})
    assert future.status_code == 302
    assert "0 failed deliveries are queued" in _page(client, future.headers["Location"])
    done = client.post(url, {"since": "2000-01-01T00:00", "confirm": "y"})
    assert done.status_code == 302
    assert "3 failed deliveries are queued" in _page(client, done.headers["Location"])
    drain()
    assert {d["state"] for d in deliveries(hooks, hook["id"])} == {"succeeded"}
    audit = hooks.get("/audit", query_string={"action": "webhook.replayed"}).json["items"]
    assert sorted(a["changes"]["deliveries"] for a in audit) == [0, 3]
    assert all(a["actor_type"] == "admin" for a in audit)


def test_tenant_admin_of_a_cannot_see_or_act_on_bs_deliveries(
    admin_client, tenant, other_tenant, api_client, receiver, drain
):
    other = api_client(other_tenant, ["webhooks", "users:write"])
    hook = create_webhook(other, receiver.url("theirs"), event_types=["user.*"])
    other.post("/users", json={"email": "victim@example.com"})
    drain()
    [delivery] = deliveries(other, hook["id"])
    client = admin_client(tenant)
    base = f"/admin/webhooks/{hook['id']}"
    for url in (f"{base}/deliveries/{delivery['id']}", f"{base}/replay"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/deliveries/{delivery['id']}/retry").status_code == 404
    replay = {"since": "2000-01-01T00:00", "confirm": "y"}
    assert client.post(f"{base}/replay", replay).status_code == 404
    # B's delivery under A's own webhook id is not found either.
    mine = api_client(tenant, ["webhooks"])
    own = create_webhook(mine, receiver.url("mine"))
    url = f"/admin/webhooks/{own['id']}/deliveries/{delivery['id']}"
    assert client.get(url).status_code == 404
    assert deliveries(other, hook["id"])[0]["attempt"] == 1
