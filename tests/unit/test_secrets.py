"""Generated secrets: the PostgreSQL administrator password must pass Azure's rule on every draw."""

from __future__ import annotations

import string

from foundry_litellm import secrets


def test_shares_login_is_three_consecutive_alphanumerics_in_any_case() -> None:
    assert secrets.shares_login("xxLITyy", "litellmadmin")
    assert secrets.shares_login("q-MIN-q", "litellmadmin")
    assert not secrets.shares_login("li-te-ll", "litellmadmin")
    assert not secrets.shares_login("ab_c", "ab_cd")  # "b_c" is not alphanumeric
    assert not secrets.shares_login("anything", "")


def test_password_never_shares_three_characters_with_the_login() -> None:
    # Flaky CI, 2026-11-26: a draw holding part of "litellmadmin" made the emulated server creation fail, as
    # Azure's does (Azure/reliable-web-app-pattern-java#98). With this 63-character login a random draw
    # collides about one time in fifty, so 500 clean draws cannot happen by luck.
    login = (string.ascii_lowercase + string.digits + string.ascii_lowercase)[:63]
    drawn = [secrets.password(login=login) for _ in range(500)]
    assert not [p for p in drawn if secrets.shares_login(p, login)]


def test_password_has_all_four_character_classes() -> None:
    for value in (secrets.password(), secrets.password(24)):
        assert any(c.islower() for c in value) and any(c.isupper() for c in value)
        assert any(c.isdigit() for c in value) and any(not c.isalnum() for c in value)
