"""Canonical URLs: one spelling per article, so the same story fetched twice dedups.

Feeds add tracking parameters, fragments, explicit default ports and
inconsistent trailing slashes to links that point at the same page. The store
keys articles on ``canonical_url``; ``Article.url`` keeps the original for display.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only say where a click came from, never what the page is.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "cmpid", "ocid", "igshid"}
    | {"at_medium", "at_campaign"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """Return ``url`` in canonical form.

    Lowercase scheme and host, no default port, no fragment, no trailing slash
    on a non-root path (the root is always ``/``), tracking parameters
    (``utm_*`` and ``TRACKING_PARAMS``) removed and the rest sorted. Something
    that is not an absolute URL is returned stripped but otherwise unchanged.
    """
    text = url.strip()
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    path = parts.path.rstrip("/") or "/"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    ]
    query.sort()
    return urlunsplit((scheme, _netloc(parts.netloc, scheme), path, urlencode(query), ""))


def _is_tracking(key: str) -> bool:
    lower = key.lower()
    return lower.startswith("utm_") or lower in TRACKING_PARAMS


def _netloc(netloc: str, scheme: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    # The port is after the last colon, unless that colon is inside an IPv6 "[...]".
    if ":" in hostport and not hostport.endswith("]"):
        host, _, port = hostport.rpartition(":")
    host = host.lower().rstrip(".")
    if port.isdigit():
        port = "" if int(port) == _DEFAULT_PORTS.get(scheme) else str(int(port))
    prefix = f"{userinfo}@" if userinfo else ""
    return f"{prefix}{host}:{port}" if port else f"{prefix}{host}"
