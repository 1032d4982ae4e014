"""The scoping mechanism itself: unbound sees nothing, writes are guarded, the database refuses."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from authsvc.connections import read_only_request
from authsvc.extensions import db
from authsvc.tenancy import (
    TenancyViolation,
    execute_scoped,
    platform_scope,
    prove_scoped,
    read_scoped,
    tenant_context,
)
from authsvc.users.models import Role, User, UserRole


@pytest.fixture
def two_tenants_with_users(app, make_tenant, make_user):
    a, b = make_tenant(), make_tenant()
    return a, b, make_user(a), make_user(b)


def test_unbound_context_matches_nothing(app, two_tenants_with_users):
    with app.app_context():
        assert db.session.execute(sa.select(User)).scalars().all() == []


def test_bound_context_sees_only_its_tenant(app, two_tenants_with_users):
    a, _b, user_a, _user_b = two_tenants_with_users
    with app.app_context(), tenant_context(a[0]):
        ids = [str(u.id) for u in db.session.execute(sa.select(User)).scalars()]
        assert ids == [user_a["id"]]


def test_one_cached_statement_answers_each_tenant_with_its_own_rows(app, two_tenants_with_users):
    """The tenant is a bound parameter of a shared compiled statement, never baked into it."""
    a, b, user_a, user_b = two_tenants_with_users
    statement = sa.select(User.id, User.email)
    for (tenant_id, *_), expected in ((a, user_a), (b, user_b), (a, user_a)):
        with app.app_context(), tenant_context(tenant_id):
            rows = db.session.execute(statement).all()
            assert [str(row.id) for row in rows] == [expected["id"]]
            by_other_id = sa.select(User.id).where(User.id == uuid.UUID(user_b["id"]))
            found = db.session.execute(by_other_id).scalars().all()
            assert found == ([] if expected is user_a else [uuid.UUID(user_b["id"])])


def test_lazy_loads_are_scoped_to_the_tenant_bound_when_they_run(app, two_tenants_with_users):
    a, _b, user_a, _user_b = two_tenants_with_users
    with app.app_context(), tenant_context(a[0]):
        user = db.session.execute(sa.select(User)).scalar_one()
        assert str(user.id) == user_a["id"]
        assert user.roles == ["member"]  # role_links, then each link's role, loaded lazily
        db.session.expire(user, ["role_links"])
        with tenant_context(None):
            assert user.role_links == []


def test_bulk_update_is_scoped_too(app, two_tenants_with_users):
    a, b, _user_a, user_b = two_tenants_with_users
    with app.app_context(), tenant_context(a[0]):
        db.session.execute(sa.update(User).values(display_name="scoped"))
        db.session.commit()
    with app.app_context(), tenant_context(b[0]):
        other = db.session.execute(sa.select(User)).scalar_one()
        assert other.display_name is None and str(other.id) == user_b["id"]


def test_platform_scope_sees_every_tenant(app, two_tenants_with_users):
    _a, _b, user_a, user_b = two_tenants_with_users
    with app.app_context(), platform_scope():
        ids = {str(i) for i in db.session.execute(sa.select(User.id)).scalars()}
    assert {user_a["id"], user_b["id"]} <= ids


def test_tenant_context_inside_platform_scope_sees_only_that_tenant(app, two_tenants_with_users):
    """A worker that claimed every tenant's rows works for one tenant at a time."""
    a, _b, user_a, _user_b = two_tenants_with_users
    with app.app_context(), platform_scope():
        with tenant_context(a[0]):
            ids = [str(i) for i in db.session.execute(sa.select(User.id)).scalars()]
        everyone = db.session.execute(sa.select(sa.func.count(User.id))).scalar_one()
    assert ids == [user_a["id"]]
    assert everyone >= 2


def test_orm_bulk_insert_rows_are_stamped_with_the_bound_tenant(app, two_tenants_with_users):
    a, _b, user_a, _user_b = two_tenants_with_users
    with app.app_context(), tenant_context(a[0]):
        role_id = db.session.execute(sa.select(Role.id).where(Role.name == "admin")).scalar_one()
        rows = [{"user_id": uuid.UUID(user_a["id"]), "role_id": role_id}]
        db.session.execute(sa.insert(UserRole), rows)
        links = db.session.execute(sa.select(UserRole.tenant_id, UserRole.role_id)).all()
        db.session.rollback()
    assert (a[0], role_id) in links


@pytest.mark.parametrize("bound", ["other-tenant", "unbound"])
def test_orm_bulk_insert_for_another_tenant_or_none_is_refused(app, two_tenants_with_users, bound):
    a, b, user_a, _user_b = two_tenants_with_users
    row = {"tenant_id": b[0], "user_id": uuid.UUID(user_a["id"]), "role_id": uuid.uuid4()}
    with app.app_context(), tenant_context(a[0] if bound == "other-tenant" else None):
        with pytest.raises(TenancyViolation):
            db.session.execute(sa.insert(UserRole), [row])
        db.session.rollback()


def test_writing_a_row_for_another_tenant_is_refused(app, two_tenants_with_users):
    a, b, _user_a, _user_b = two_tenants_with_users
    with app.app_context(), tenant_context(a[0]):
        db.session.add(User(tenant_id=b[0], email="x@y.z", email_normalized="x@y.z"))
        with pytest.raises(TenancyViolation):
            db.session.flush()
        db.session.rollback()


def test_new_row_without_a_bound_tenant_is_refused(app):
    with app.app_context():
        db.session.add(User(email="x@y.z", email_normalized="x@y.z"))
        with pytest.raises(TenancyViolation):
            db.session.flush()
        db.session.rollback()


def test_database_refuses_a_link_between_two_tenants(app, two_tenants_with_users):
    """The composite foreign key (tenant_id, role_id) rejects tenant B's role on A's user."""
    a, b, user_a, _user_b = two_tenants_with_users
    with app.app_context():
        with tenant_context(b[0]):
            role_b = db.session.execute(sa.select(Role.id).where(Role.name == "admin")).scalar_one()
        row = {"tenant_id": a[0], "user_id": uuid.UUID(user_a["id"]), "role_id": role_b}
        with tenant_context(a[0]), pytest.raises(IntegrityError):
            db.session.execute(sa.insert(UserRole), [row])
        db.session.rollback()


# Prebuilt Core statements: proven tied to the bound tenant before they run.
_users, _roles, _links = User.__table__, Role.__table__, UserRole.__table__
_tenant = sa.bindparam("tenant")


def _scoped_users():
    return sa.select(_users.c.id).where(_users.c.tenant_id == _tenant)


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(_scoped_users(), id="direct"),
        pytest.param(
            sa.select(_users.c.id, _roles.c.name)
            .select_from(
                _users.outerjoin(
                    _links,
                    sa.and_(
                        _links.c.tenant_id == _users.c.tenant_id, _links.c.user_id == _users.c.id
                    ),
                ).outerjoin(
                    _roles,
                    sa.and_(
                        _roles.c.tenant_id == _links.c.tenant_id, _roles.c.id == _links.c.role_id
                    ),
                )
            )
            .where(_users.c.tenant_id == _tenant),
            id="joined-on-tenant",
        ),
        pytest.param(
            _users.update().where(_users.c.tenant_id == _tenant).values(display_name="x"),
            id="update",
        ),
        pytest.param(
            _links.insert().values(
                tenant_id=_tenant, user_id=sa.bindparam("u"), role_id=sa.bindparam("r")
            ),
            id="insert",
        ),
    ],
)
def test_tenant_bound_core_statements_are_proven(statement):
    prove_scoped(statement)


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(sa.select(_users.c.id), id="no-filter"),
        pytest.param(
            sa.select(_users.c.id).where(_users.c.tenant_id == sa.bindparam("other")),
            id="other-param",
        ),
        pytest.param(
            sa.select(_users.c.id, _roles.c.name)
            .select_from(
                _users.join(_links, _links.c.user_id == _users.c.id).join(
                    _roles, _roles.c.id == _links.c.role_id
                )
            )
            .where(_users.c.tenant_id == _tenant),
            id="join-without-tenant",
        ),
        pytest.param(_users.update().values(display_name="x"), id="update-all"),
        pytest.param(
            _links.insert().values(tenant_id=sa.bindparam("t"), user_id=1, role_id=2),
            id="insert-other",
        ),
        pytest.param(
            _scoped_users().add_cte(_roles.delete().where(_roles.c.name == "x").cte("gone")),
            id="unscoped-cte",
        ),
    ],
)
def test_core_statements_not_tied_to_the_tenant_are_refused(statement):
    with pytest.raises(TenancyViolation):
        prove_scoped(statement)


def test_execute_scoped_needs_a_bound_tenant_and_sees_only_it(app, two_tenants_with_users):
    a, _b, user_a, _user_b = two_tenants_with_users
    statement = sa.select(_users.c.id).where(_users.c.tenant_id == _tenant)
    with app.app_context():
        with pytest.raises(TenancyViolation):
            execute_scoped(db.session, statement)
        with tenant_context(a[0]):
            ids = [str(i) for i in execute_scoped(db.session, statement).scalars()]
    assert ids == [user_a["id"]]


def test_read_scoped_needs_a_bound_tenant_and_sees_only_it(app, two_tenants_with_users):
    a, b, user_a, user_b = two_tenants_with_users
    statement = sa.select(_users.c.id).where(_users.c.tenant_id == _tenant)
    with app.test_request_context(method="GET"):
        read_only_request()
        with pytest.raises(TenancyViolation):
            read_scoped(statement)
        for tenant, user in ((a, user_a), (b, user_b)):
            with tenant_context(tenant[0]):
                assert [str(row["id"]) for row in read_scoped(statement)] == [user["id"]]


def test_read_scoped_outside_read_only_requests_sees_the_sessions_writes(app, tenant):
    """In a writing request it reads in the session's transaction, uncommitted rows included."""
    statement = sa.select(_users.c.email).where(_users.c.tenant_id == _tenant)
    with app.test_request_context(method="POST"), tenant_context(tenant[0]):
        db.session.add(User(email="pending@example.com", email_normalized="pending@example.com"))
        db.session.flush()
        assert "pending@example.com" in [row["email"] for row in read_scoped(statement)]
        db.session.rollback()


def test_every_prebuilt_auth_statement_is_proven_tied_to_the_tenant():
    """The sign-in, refresh and /me statements pass the proof before any request runs them."""
    from authsvc.auth import queries

    statements = []
    for value in vars(queries).values():
        candidates = value.values() if isinstance(value, dict) else [value]
        statements += [s for s in candidates if isinstance(s, (sa.Select, sa.sql.dml.UpdateBase))]
    assert len(statements) >= 10
    for statement in statements:
        prove_scoped(statement)
