"""XML parsing that refuses what hostile feeds and sitemaps can do to a parser.

A document type declaration is refused outright (no DTD, no entities: that rules out "billion laughs"
expansion and external entities alike), and lxml runs with entity resolution, network access and huge
trees switched off. Feeds and sitemaps have no legitimate use for a DTD.
"""

import re
from typing import Final

from lxml import etree

from hybridwatch.errors import HybridwatchError

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
#: The longest XML document parsed (bytes); larger feeds or sitemaps are refused, not truncated.
MAX_XML_BYTES: Final = 10 * 1024 * 1024


class UnsafeXmlError(HybridwatchError):
    """An XML document was refused; ``kind`` is the report's name for why."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


def parse_xml(body: bytes) -> etree._Element:
    """Parse XML bytes safely; raise UnsafeXmlError naming the kind of refusal or failure."""
    if len(body) > MAX_XML_BYTES:
        raise UnsafeXmlError("too-large", f"XML document of {len(body)} bytes exceeds {MAX_XML_BYTES}")
    head = body[:65536]
    if _ENTITY.search(head):
        raise UnsafeXmlError("xml-entity-expansion", "document declares XML entities; refused unparsed")
    if _DOCTYPE.search(head):
        raise UnsafeXmlError("xml-doctype", "document has a DOCTYPE; refused unparsed")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError("feed-unparseable", f"not well-formed XML: {exc}") from None
    if root is None:
        raise UnsafeXmlError("feed-unparseable", "empty XML document")
    return root


def local_name(element: etree._Element) -> str:
    """Tag without its namespace (``{http://www.w3.org/2005/Atom}entry`` → ``entry``)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
