"""The hosted invitation page: ``/t/<slug>/invitations/accept?token=...``.

Opening the link never spends the invitation (mail scanners fetch links): it
shows the organization and, for a signed-in browser, a button that accepts.
A browser that is not signed in keeps the token in its cookie session while
the user signs in or creates an account; the sign-in then comes back here.
"""

from __future__ import annotations

from flask import g, render_template, request
from flask import session as cookie_session
from wtforms import HiddenField
from wtforms.validators import DataRequired

from authsvc.errors import AuthsvcError
from authsvc.extensions import db
from authsvc.hosted import bp, page_url
from authsvc.hosted import session as hosted_session
from authsvc.organizations import invitations
from authsvc.organizations.models import Organization
from authsvc.storable import StorableForm

PENDING_KEY = "authsvc_hosted_invitation"


class AcceptForm(StorableForm):
    token = HiddenField(validators=[DataRequired()])


def pending_invitation_page() -> str | None:
    """The accept page, when this browser holds an invitation of this tenant."""
    pending = cookie_session.get(PENDING_KEY)
    if isinstance(pending, dict) and pending.get("tenant") == str(g.tenant.id):
        return page_url("accept_invitation")
    return None


def _page(status: int = 200, **values):
    return render_template("hosted/invitation.html", **values), status


def _pending_token() -> str:
    token = request.values.get("token") or ""
    if token:
        cookie_session[PENDING_KEY] = {"tenant": str(g.tenant.id), "token": token[:200]}
        return token[:200]
    pending = cookie_session.get(PENDING_KEY)
    return pending.get("token", "") if pending_invitation_page() else ""


@bp.route("/invitations/accept", methods=["GET", "POST"])
def accept_invitation():
    """Show an invitation; accept it for the signed-in user (POST, with CSRF)."""
    token = _pending_token()
    try:
        invitation = invitations.find_by_token(token)
    except AuthsvcError as error:
        cookie_session.pop(PENDING_KEY, None)
        return _page(error.status, error=error.detail)
    org = db.session.get(Organization, (invitation.tenant_id, invitation.organization_id))
    current = hosted_session.current()
    form = AcceptForm(token=token)
    values = {"organization": org, "invitation": invitation, "form": form}
    if current is None:
        return _page(**values)
    user = current[1]
    if not form.validate_on_submit():
        return _page(422 if request.method == "POST" else 200, user=user, **values)
    try:
        invitations.accept_invitation(form.token.data, user)
    except AuthsvcError as error:
        db.session.rollback()
        return _page(error.status, user=user, error=error.detail, **values)
    cookie_session.pop(PENDING_KEY, None)
    return _page(joined=True, user=user, **values)
