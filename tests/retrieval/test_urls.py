"""canonical_url gives one spelling per page so duplicates collapse."""

from __future__ import annotations

import pytest

from retrieval.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://News.Example.COM/a/b", "https://news.example.com/a/b"),
        ("https://news.example/a#comments", "https://news.example/a"),
        ("http://news.example:80/a", "http://news.example/a"),
        ("https://news.example:443/a", "https://news.example/a"),
        ("https://news.example:8443/a", "https://news.example:8443/a"),
        ("http://news.example:443/a", "http://news.example:443/a"),
        ("https://news.example", "https://news.example/"),
        ("https://news.example/a/b/", "https://news.example/a/b"),
        ("https://news.example/?", "https://news.example/"),
        ("https://news.example/a?utm_source=rss&utm_Medium=x&id=3", "https://news.example/a?id=3"),
        (
            "https://news.example/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=5&cmpid=6&ocid=7"
            "&igshid=8&at_medium=9&at_campaign=10",
            "https://news.example/a",
        ),
        ("https://news.example/a?b=2&a=1&a=0", "https://news.example/a?a=0&a=1&b=2"),
        ("https://news.example/a?q=&x=1", "https://news.example/a?q=&x=1"),
        ("https://news.example/A/Path", "https://news.example/A/Path"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("  https://news.example/a  ", "https://news.example/a"),
        ("not a url", "not a url"),
        ("/relative/path", "/relative/path"),
    ],
    ids=[
        "case",
        "fragment",
        "http-port",
        "https-port",
        "other-port",
        "port-of-other-scheme",
        "empty-path",
        "trailing-slash",
        "empty-query",
        "utm",
        "tracking-list",
        "sorted",
        "blank-value",
        "path-case-kept",
        "ipv6",
        "whitespace",
        "not-url",
        "relative",
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    """Each rule of canonicalisation maps the input to the expected spelling."""
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        "https://News.example/a/?utm_source=x&b=1#f",
        "http://[::1]:8080/",
        "mailto:desk@news.example",
    ],
    ids=["messy", "ipv6", "mailto"],
)
def test_canonical_url_is_idempotent(url: str) -> None:
    """Canonicalising a canonical URL changes nothing."""
    once = canonical_url(url)
    assert canonical_url(once) == once
