"""The tenant's registration-conflict setting (issue 11.11): validated, and editable in the panel."""

from __future__ import annotations


def test_is_the_registration_conflict_setting_validated_and_settable_in_the_panel(
    api_client, admin_client, tenant
):
    bad = api_client(tenant, ["admin"]).patch(
        "/tenant", json={"settings": {"auth": {"registration_conflict": "silent"}}}
    )
    assert bad.status_code in (400, 422)
    client = admin_client(tenant)
    page = client.get("/admin/p/settings/")
    assert 'name="registration_conflict"' in page.text
    form = {"name": "Renamed", "registration_conflict": "email_owner"}
    assert client.post("/admin/p/settings/", form).status_code == 302
    policy = api_client(tenant, ["admin"]).get("/tenant").json["settings"]["auth"]
    assert policy["registration_conflict"] == "email_owner"
