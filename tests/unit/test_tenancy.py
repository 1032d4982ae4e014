"""The scoping mechanism itself: unbound sees nothing, writes are guarded, the database refuses."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from authsvc.extensions import db
from authsvc.tenancy import (
    TenancyViolation,
    platform_scope,
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
