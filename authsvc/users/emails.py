"""Email addresses as keys: one normalisation for uniqueness and every lookup.

Rationale: two addresses that look the same must be the same account, or a
look-alike (``ＫＩＭ@x.test`` in full-width letters, or ``Kim`` with the
Kelvin sign U+212A) squats or shadows the real one. The key of an address is

1. NFKC of the whole address (compatibility forms such as full-width letters
   and the Kelvin sign become their plain letters), then case-folded (a
   stronger lower-casing: ``ß`` becomes ``ss``), then NFKC again (case folding
   can leave a string that is not in NFKC);
2. with the domain written in ASCII by IDNA (Python's ``idna`` codec, IDNA
   2003 ToASCII), so ``bücher.example`` and ``xn--bcher-kva.example`` are one.

A new or changed address must also keep its local part (before ``@``) in one
script: letters from Latin and Cyrillic or Greek together (``pаypal`` with a
Cyrillic ``а``) are refused. Digits and punctuation belong to no script. The
script of a letter is the first word of its Unicode name (``LATIN``,
``CYRILLIC``, ``GREEK``, ``CJK`` …), a well-known stand-in for the Unicode
Script property, which the standard library lacks. As in Unicode's "highly
restrictive" profile (UTS #39), Latin may combine with Han and Japanese kana,
with Han and Hangul, or with Han and Bopomofo.

Lookups (sign-in, forgot-password) use :func:`email_key` without the script
rule, so an account created before the rule still signs in.
"""

from __future__ import annotations

import unicodedata

from authsvc.errors import ValidationFailed

HAN = "CJK"
# Script sets a local part may mix (UTS #39 "highly restrictive"), beyond a single script.
MIXABLE = (
    frozenset({"LATIN", HAN, "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"}),
    frozenset({"LATIN", HAN, "HANGUL"}),
    frozenset({"LATIN", HAN, "BOPOMOFO"}),
)
# Letters whose names start with these words belong to no particular script.
SCRIPTLESS = frozenset({"MODIFIER", "FEMININE", "MASCULINE"})


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(errors={"email": [message]})


def email_key(address: str) -> str:
    """The normalised form of ``address``: the uniqueness key and what lookups compare.

    Raises ValidationFailed (field ``email``) when it has no ``@`` or an
    impossible domain; the answer depends on the input only, never on accounts.
    """
    local, at, domain = _fold(address.strip()).rpartition("@")
    if not at or not local or not domain:
        raise _invalid("Enter an email address like ada@example.com.")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise _invalid("The part after @ is not a valid domain name.") from exc
    return f"{local}@{ascii_domain.lower()}"


def login_key(identifier: str) -> str:
    """What a sign-in identifier is compared with: an email's key, or a lower-cased username.

    An identifier that cannot be an address still yields a key, which matches no account.
    """
    text = identifier.strip()
    if "@" not in text:
        return text.lower()
    try:
        return email_key(text)
    except ValidationFailed:
        return _fold(text)


def scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text`` (see the module docstring)."""
    found = set()
    for char in text:
        if not unicodedata.category(char).startswith("L"):
            continue
        word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
        if word not in SCRIPTLESS:
            found.add(word)
    return found


def clean_email(address: str, current_key: str | None = None) -> tuple[str, str]:
    """(address to store and send to, its key) for a new or changed address.

    The stored address keeps the user's letter case but is NFKC, so mail goes
    to the plain-letter address the key stands for. Raises ValidationFailed
    (field ``email``) for a local part that mixes scripts, unless the key is
    ``current_key``, the account's own: an account from before the rule stays
    editable.
    """
    shown = unicodedata.normalize("NFKC", address.strip())
    key = email_key(shown)
    if key == current_key:
        return shown, key
    used = scripts(key.rpartition("@")[0])
    if len(used) > 1 and not any(used <= allowed for allowed in MIXABLE):
        raise _invalid(
            "Use letters of one script before the @ (not, say, Latin mixed with Cyrillic)."
        )
    return shown, key
