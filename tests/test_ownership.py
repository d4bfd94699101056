"""Who controls a run: a browser is recognised by the secret inside Streamlit's XSRF cookie, never by an address."""

from __future__ import annotations

import os

from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from ui.common import browser_token


def test_the_same_browser_gets_the_same_token_whatever_the_cookie_mask() -> None:
    """Streamlit re-masks its XSRF cookie at each page load; the secret behind the mask is the browser's."""
    secret = os.urandom(16)
    first, second = generate_xsrf_token_string(secret, 1), generate_xsrf_token_string(secret, 2)
    assert first != second
    assert browser_token(first) == browser_token(second) is not None
    assert browser_token(f'"{first}"') == browser_token(first)  # as some browsers quote it


def test_another_browser_gets_another_token_and_the_token_is_not_the_secret() -> None:
    secret = os.urandom(16)
    token = browser_token(generate_xsrf_token_string(secret))
    assert token != browser_token(generate_xsrf_token_string(os.urandom(16)))
    assert secret.hex() not in (token or "")


def test_a_missing_or_malformed_cookie_gives_no_token() -> None:
    for cookie in (None, "", "garbage", "1|aa|bb|1", "2|zz|00|1", "2|00|00|1", "2|0011|" + "00" * 16 + "|x|y"):
        assert browser_token(cookie) is None, cookie
