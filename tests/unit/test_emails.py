"""Email keys: NFKC, case folding and IDNA make look-alikes one key; mixed scripts are refused."""

from __future__ import annotations

import pytest

from authsvc.errors import ValidationFailed
from authsvc.users.emails import clean_email, email_key, login_key

KELVIN_K = "\u212a"  # KELVIN SIGN, which looks like K
CYRILLIC_A = "\u0430"  # looks like a


def test_do_the_kelvin_sign_and_full_width_letters_give_the_plain_address_key():
    assert email_key(f"{KELVIN_K}IM@x.test") == "kim@x.test"
    assert email_key("\uff4b\uff49\uff4d@\uff58.test") == "kim@x.test"  # ｋｉｍ@ｘ.test


def test_is_the_stored_address_the_plain_letter_form_with_the_users_case():
    assert clean_email(f" {KELVIN_K}im@X.test ") == ("Kim@X.test", "kim@x.test")


def test_does_case_folding_go_beyond_lower_casing():
    assert email_key("STRASSE@x.test") == email_key("straße@x.test") == "strasse@x.test"


def test_is_an_international_domain_keyed_in_its_ascii_form():
    assert email_key("ada@Bücher.example") == "ada@xn--bcher-kva.example"
    assert email_key("ada@xn--bcher-kva.example") == "ada@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "address",
    [f"p{CYRILLIC_A}ypal@x.test", "\u03b1dmin@x.test", f"{CYRILLIC_A}dmin\u03b1@x.test"],
)
def test_is_a_local_part_mixing_latin_cyrillic_or_greek_refused(address):
    with pytest.raises(ValidationFailed) as refused:
        clean_email(address)
    assert list(refused.value.extra["errors"]) == ["email"]


@pytest.mark.parametrize(
    "address",
    ["иван@x.test", "γιάννης@x.test", "taro山田やまだ@x.test", "kim김@x.test", "ada.99+tag@x.test"],
)
def test_are_single_script_and_japanese_or_korean_mixes_accepted(address):
    assert clean_email(address)[1] == email_key(address)


def test_does_an_older_mixed_script_account_stay_editable_with_its_own_address():
    older = f"p{CYRILLIC_A}ypal@x.test"
    assert clean_email(older, current_key=older) == (older, older)
    with pytest.raises(ValidationFailed):
        clean_email(older, current_key="someone@x.test")


def test_do_lookups_accept_what_writes_refuse_so_older_accounts_still_sign_in():
    assert login_key(f"p{CYRILLIC_A}ypal@x.test") == f"p{CYRILLIC_A}ypal@x.test"
    assert login_key(" Ada ") == "ada"
    assert login_key("ada@") == "ada@"  # not an address: a key that matches no account


def test_is_an_impossible_domain_a_field_error():
    with pytest.raises(ValidationFailed) as refused:
        email_key("ada@x..test")
    assert "email" in refused.value.extra["errors"]


def test_do_administrator_accounts_use_the_same_keys(app):
    from authsvc.admins.service import authenticate, create_admin
    from tests.conftest import unique

    local = unique("boss").replace("-", "")
    with app.app_context():
        admin = create_admin(f"{local.upper()}@\uff58.test", "admin password 123")
        assert admin.email == f"{local}@x.test"
        assert authenticate(f"{local}@X.test", "admin password 123") == admin
        with pytest.raises(ValidationFailed):
            create_admin(f"{local}{CYRILLIC_A}@x.test", "admin password 123")
