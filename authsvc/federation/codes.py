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

An app whose ``auth`` key is public (browser code) binds the code to itself
with PKCE (RFC 7636, S256 only): it starts the sign-in with a
``code_challenge`` and exchanges with the ``code_verifier`` only it knows, so a
code read from the address bar or a log is worth nothing. A wrong or missing
verifier leaves the code unspent for the app that holds the right one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
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
#: An S256 challenge is the unpadded base64url of a SHA-256 digest: 43 characters.
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
#: RFC 7636's verifier alphabet and length.
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def check_challenge(challenge: str | None, method: str | None) -> str | None:
    """The app's PKCE challenge to bind the code to (None without one).

    Raises ValueError for ``plain`` or any method but ``S256`` (a missing method
    means ``plain``), and for a challenge that is not an S256 digest."""
    if challenge is None and method is None:
        return None
    if method != "S256":
        raise ValueError("Only code_challenge_method=S256 is accepted.")
    if challenge is None or not CHALLENGE.fullmatch(challenge):
        raise ValueError("The code_challenge is not an S256 challenge.")
    return challenge


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _verifier_matches(challenge: str | None, verifier: str | None) -> bool:
    """No challenge wants no verifier (a verifier there is a confused or forged
    request); a challenge wants the verifier that hashes to it."""
    if challenge is None or verifier is None:
        return challenge is None and verifier is None
    if not VERIFIER.fullmatch(verifier):
        return False
    return hmac.compare_digest(_s256(verifier), challenge)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_code(
    user: User,
    provider: IdentityProvider,
    amr: tuple[str, ...] = (accounts.FEDERATED,),
    code_challenge: str | None = None,
) -> str:
    """Stage a code for ``user``'s sign-in through ``provider`` as ``amr`` says, bound
    to the app's ``code_challenge`` when it gave one (caller commits)."""
    raw = secrets.token_urlsafe(32)
    ttl = current_app.config["FEDERATION_CODE_TTL_SECONDS"]
    db.session.add(
        SignInCode(
            provider_id=provider.id,
            user_id=user.id,
            code_hash=_digest(raw),
            expires_at=utcnow() + timedelta(seconds=ttl),
            amr=list(amr),
            code_challenge=code_challenge,
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


def exchange(raw: str, ctx: ClientContext, verifier: str | None = None) -> auth.LoginResult:
    """Spend a code (with its PKCE ``verifier`` when it was bound to a challenge): the
    token pair of a new session, or an MFA challenge like ``/auth/login``."""
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
    if not _verifier_matches(code.code_challenge, verifier):
        _refuse(digest)
    user = read_user_row(code.user_id)
    if not user.is_active:
        _refuse(digest)
    via = service.get_provider(code.provider_id).kind
    amr = tuple(code.amr or (accounts.FEDERATED,))
    result = auth.continue_sign_in(user, accounts.needs_totp(user, amr), ctx, via, amr)
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
