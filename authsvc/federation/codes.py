"""One-time codes that end a federated sign-in on a tenant app, and their exchange for tokens.

Rationale: an app that does not use the hosted pages sends the browser to the
provider with ``return_to``; the browser comes back to the app with a code in
the query, never with tokens (URLs leak into logs, history and ``Referer``).
The app's server, or its browser code with the tenant's ``auth`` key, posts the
code to ``/auth/exchange``. A code is random, stored as SHA-256, bound to the
tenant (the tenant scope finds no other tenant's codes), spent in a
conditional UPDATE so two exchanges of one code cannot both succeed, and dead
after ``FEDERATION_CODE_TTL_SECONDS``. A spent code presented again means it
was copied: the session it opened is revoked, as for a reused refresh token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app

from authsvc.auth import service as auth
from authsvc.auth.context import ClientContext
from authsvc.auth.tenant_policy import tenant_auth
from authsvc.db import utcnow
from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.federation import accounts, service
from authsvc.federation.models import IdentityProvider, SignInCode
from authsvc.sessions import service as sessions
from authsvc.users.models import User
from authsvc.users.reads import read_user_row

CODE_PARAMETER = "code"
REFUSED = "The sign-in code is not valid: unknown, already used or expired."


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_code(user: User, provider: IdentityProvider) -> str:
    """Stage a code for ``user``'s sign-in through ``provider`` (caller commits)."""
    raw = secrets.token_urlsafe(32)
    ttl = current_app.config["FEDERATION_CODE_TTL_SECONDS"]
    db.session.add(
        SignInCode(
            provider_id=provider.id,
            user_id=user.id,
            code_hash=_digest(raw),
            expires_at=utcnow() + timedelta(seconds=ttl),
        )
    )
    return raw


def with_code(return_to: str, raw: str) -> str:
    """``return_to`` with the code in its query (replacing a ``code`` already there)."""
    parts = urlsplit(return_to)
    kept = parse_qsl(parts.query, keep_blank_values=True)
    query = [(name, value) for name, value in kept if name != CODE_PARAMETER]
    query.append((CODE_PARAMETER, raw))
    return urlunsplit(parts._replace(query=urlencode(query)))


def exchange(raw: str, ctx: ClientContext) -> auth.LoginResult:
    """Spend a code: the token pair of a new session, or an MFA challenge like ``/auth/login``."""
    digest = _digest(raw or "")
    now = utcnow()
    spent = db.session.execute(
        sa.update(SignInCode)
        .where(
            SignInCode.code_hash == digest,
            SignInCode.used_at.is_(None),
            SignInCode.expires_at > now,
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        _refuse(digest)
    code = db.session.execute(
        sa.select(SignInCode).where(SignInCode.code_hash == digest)
    ).scalar_one()
    user = read_user_row(code.user_id)
    if not user.is_active:
        _refuse(digest)
    via = service.get_provider(code.provider_id).kind
    result = auth.continue_sign_in(user, accounts.has_mfa(user), ctx, via)
    if result.session_id is not None:
        code.session_id = result.session_id
        db.session.commit()
    return result


def _refuse(digest: str) -> NoReturn:
    """Refuse a code; a spent one that opened a session revokes that session."""
    db.session.rollback()
    known = db.session.execute(
        sa.select(SignInCode.used_at, SignInCode.session_id).where(SignInCode.code_hash == digest)
    ).first()
    if known is not None and known.used_at is not None and known.session_id is not None:
        session = sessions.get_session(known.session_id)
        sessions.revoke(session, "sign_in_code_reuse", tenant_auth().policy, actor="system")
        db.session.commit()
    raise ValidationFailed(REFUSED, errors={"code": [REFUSED]})
