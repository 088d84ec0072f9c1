"""URL canonicalisation: one spelling per article, so one article is one item id.

Feeds, sitemaps and listing pages link the same article with different tracking parameters, cases,
fragments and default ports; ``canonicalize_url`` reduces them to one form. The item id is the SHA-256
of that form (``hybridwatch.schema.item_id_for``).
"""

from typing import Final
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

#: Query parameters that identify a campaign or a click, never the content (Google, Meta, Microsoft,
#: Mailchimp, HubSpot, Yandex and the common "ref"/"source" variants seen on regional outlets).
TRACKING_PARAMETERS: Final = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "ref", "ref_src", "ref_url", "src", "source", "cmpid", "ocid", "share",
        "amp", "output",
    }
)  # fmt: skip
TRACKING_PREFIXES: Final = ("utm_", "hsa_", "pk_", "mtm_")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an http(s) URL.

    Lower-case scheme and host, default port and fragment dropped, tracking parameters removed, the
    remaining parameters sorted, percent-encoding normalised (Cyrillic paths stay readable-equivalent),
    an empty path becomes ``/``. Raises ValueError for a URL without a scheme or host.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    # An IPv6 literal keeps its brackets, or its colons would read as a port.
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None and parts.port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{parts.port}"
    path = quote(unquote(parts.path or "/"), safe="/:@!$&'()*+,;=-._~%")
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_parameter(name)
    )
    return urlunsplit((scheme, netloc, path, urlencode(query, quote_via=quote), ""))


def host_of(url: str) -> str:
    """The lower-case host of a URL, without a trailing dot ('' when there is none)."""
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def is_on_domains(url: str, domains: tuple[str, ...]) -> bool:
    """True when the URL's host is one of ``domains`` or a subdomain of one."""
    host = host_of(url)
    return any(host == domain or host.endswith("." + domain) for domain in domains)
