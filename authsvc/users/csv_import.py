"""Importing users from a CSV file typed by an admin: check everything, then write on confirm.

:func:`preview` parses and checks every row (address, username, duplicates in
the file and in the tenant, roles) without writing anything; :func:`commit`
checks the same text again and creates the good rows in one transaction.
Passwords are never imported: a ``password`` column is refused, users are
created without one and may be sent a link to set their own.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from authsvc.auth import notify
from authsvc.errors import Conflict, ValidationFailed
from authsvc.extensions import db
from authsvc.mail import request_mail
from authsvc.users.emails import clean_email
from authsvc.users.models import Role, User
from authsvc.users.schemas import EMAIL_PATTERN, USERNAME_PATTERN
from authsvc.users.service import stage_new_user

# Well under the request limit (MAX_CONTENT_LENGTH) and Flask's form-field limit, since
# the previewed text is posted back once more with the confirmation.
MAX_BYTES = 256 * 1024
MAX_ROWS = 1000
COLUMNS = ("email", "username", "display_name", "roles", "verified")
_EMAIL, _USERNAME = re.compile(EMAIL_PATTERN), re.compile(USERNAME_PATTERN)
_FLAGS = {"": False, "no": False, "false": False, "0": False, "yes": True, "true": True, "1": True}


@dataclass
class Row:
    line: int
    values: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(errors={"file": [message]})


def decode(raw: bytes) -> str:
    """The file's text: UTF-8 (a spreadsheet's byte-order mark is allowed), size-checked."""
    if len(raw) > MAX_BYTES:
        raise _invalid(f"The file is larger than {MAX_BYTES // 1024} KiB.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid("The file is not UTF-8 text; save it as CSV UTF-8.") from exc


def _read(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "password" in header or "password_hash" in header:
        raise _invalid("Passwords are never imported; remove the password column.")
    unknown = sorted(set(header) - set(COLUMNS))
    if "email" not in header or unknown:
        raise _invalid(f"Columns must be among {', '.join(COLUMNS)}, with email; not {unknown}.")
    reader.fieldnames = header
    rows = []
    try:
        for values in reader:
            if len(rows) == MAX_ROWS:
                raise _invalid(f"At most {MAX_ROWS} rows per file.")
            extra = values.pop(None, None)
            row = Row(reader.line_num, {k: (v or "").strip() for k, v in values.items()})
            if extra:
                row.errors.append("More cells than columns.")
            rows.append(row)
    except csv.Error as exc:
        raise _invalid(f"Not a readable CSV file: {exc}.") from exc
    return rows


def _check_row(row: Row, roles: set[str]) -> None:
    values, errors = row.values, row.errors
    email = values.get("email", "")
    if len(email) > 254 or not _EMAIL.match(email):
        errors.append(f"Not an email address: {email[:80]!r}.")
    else:
        try:
            row.data["email"], row.data["key"] = clean_email(email)
        except ValidationFailed as exc:
            errors.extend(exc.extra["errors"]["email"])
    username = values.get("username") or None
    if username and not _USERNAME.match(username):
        errors.append("Usernames are 3-64 letters, digits, '.', '_' or '-'.")
    display_name = values.get("display_name") or None
    if display_name and len(display_name) > 200:
        errors.append("Display names are at most 200 characters.")
    wanted = [name.strip() for name in values.get("roles", "").split(";") if name.strip()]
    if unknown := sorted(set(wanted) - roles):
        errors.append(f"Unknown role(s): {', '.join(unknown)}.")
    verified = _FLAGS.get(values.get("verified", "").lower())
    if verified is None:
        errors.append("verified must be yes or no.")
    row.data.update(
        username=username,
        display_name=display_name,
        roles=wanted or ["member"],
        is_verified=bool(verified),
    )


def _check_duplicates(rows: list[Row]) -> None:
    """One account per address and per username, in the file and in the tenant."""
    keys = [row.data.get("key") for row in rows]
    names = [(row.data.get("username") or "").lower() or None for row in rows]
    taken_keys = _existing(User.email_normalized, {k for k in keys if k})
    taken_names = _existing(User.username_normalized, {n for n in names if n})
    seen_keys: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for row, key, name in zip(rows, keys, names, strict=True):
        if key in taken_keys:
            row.errors.append("A user with this email already exists.")
        elif key and key in seen_keys:
            row.errors.append(f"Same email as line {seen_keys[key]}.")
        if name in taken_names:
            row.errors.append("A user with this username already exists.")
        elif name and name in seen_names:
            row.errors.append(f"Same username as line {seen_names[name]}.")
        if key:
            seen_keys.setdefault(key, row.line)
        if name:
            seen_names.setdefault(name, row.line)


def _existing(column, values: set[str]) -> set[str]:
    if not values:
        return set()
    statement = sa.select(column).where(column.in_(sorted(values)))
    return set(db.session.execute(statement).scalars())


def preview(text: str) -> list[Row]:
    """Every row of the file with its errors; nothing is written."""
    rows = _read(text)
    if not rows:
        raise _invalid("The file has no rows below its header.")
    roles = set(db.session.execute(sa.select(Role.name)).scalars())
    for row in rows:
        _check_row(row, roles)
    _check_duplicates(rows)
    return rows


def commit(text: str, actor: str, send_reset: bool) -> tuple[int, int]:
    """Create the good rows of ``text`` (checked again) in one transaction.

    Returns (created, skipped). With ``send_reset`` each new user is sent a
    link to set a password, queued in the same transaction.
    """
    rows = preview(text)
    good = [row for row in rows if not row.errors]
    try:
        for row in good:
            data = {k: v for k, v in row.data.items() if k != "key"}
            stage_new_user(data, actor=actor, via="import")
            if send_reset:
                request_mail(notify.RESET, row.data["key"])
        db.session.commit()
    except IntegrityError as exc:
        # Someone created one of these users since the check: nothing is kept.
        db.session.rollback()
        raise Conflict("A user in the file was created meanwhile; preview it again.") from exc
    return len(good), len(rows) - len(good)
