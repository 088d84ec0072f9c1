"""URL canonicalisation: tracking parameters stripped, one spelling per article."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawlers.canonical import canonicalize_url, is_on_domains


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTP://WWW.Rts.RS:80/vesti/clanak?utm_source=rss&utm_medium=feed#komentari",
            "http://www.rts.rs/vesti/clanak",
        ),
        ("https://n1info.rs/vesti?id=5&fbclid=abc&a=1", "https://n1info.rs/vesti?a=1&id=5"),
        ("https://example.rs", "https://example.rs/"),
        ("https://example.rs:8443/x", "https://example.rs:8443/x"),
        (
            "https://sr.example.rs/вести/вучић",
            "https://sr.example.rs/%D0%B2%D0%B5%D1%81%D1%82%D0%B8/%D0%B2%D1%83%D1%87%D0%B8%D1%9B",
        ),
        (
            "https://sr.example.rs/%D0%B2%D0%B5%D1%81%D1%82%D0%B8",
            "https://sr.example.rs/%D0%B2%D0%B5%D1%81%D1%82%D0%B8",
        ),
    ],
)
def test_canonical_forms(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_feed_sitemap_and_listing_spellings_meet() -> None:
    spellings = [
        "http://rtb.fixture.test/vesti/a-b-c.html?utm_source=atom&utm_medium=feed",
        "http://RTB.fixture.test/vesti/a-b-c.html",
        "http://rtb.fixture.test/vesti/a-b-c.html?utm_source=listing#top",
    ]
    assert len({canonicalize_url(url) for url in spellings}) == 1


def test_not_a_web_url_is_an_error() -> None:
    with pytest.raises(ValueError, match="not an absolute http"):
        canonicalize_url("mailto:redakcija@example.rs")


_segment = st.text(alphabet=st.sampled_from("abcčćžšđвучић-_0123456789"), min_size=1, max_size=8)
_query = st.lists(
    st.tuples(st.sampled_from(["id", "page", "utm_source", "fbclid", "q"]), _segment), max_size=4
)


@given(path=st.lists(_segment, max_size=4), query=_query, fragment=_segment)
def test_canonicalisation_is_idempotent_and_drops_tracking(
    path: list[str], query: list[tuple[str, str]], fragment: str
) -> None:
    url = (
        "https://Example.RS/"
        + "/".join(path)
        + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    )
    url += "#" + fragment
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert "utm_source" not in once and "fbclid" not in once and "#" not in once


def test_domains_include_subdomains_only() -> None:
    assert is_on_domains("https://www.rts.rs/x", ("rts.rs",))
    assert not is_on_domains("https://notrts.rs/x", ("rts.rs",))
    assert not is_on_domains("https://rts.rs.evil.net/x", ("rts.rs",))
