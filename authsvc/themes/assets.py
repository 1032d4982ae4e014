"""Checking uploaded logos and favicons: size, real content type, and SVG without script.

Rationale: the declared file name and content type of an upload are the
uploader's word; we sniff the bytes. PNG and ICO are recognised by their
signatures. SVG is XML that can carry script, so it is parsed with defusedxml
(no DTDs, no entity expansion) and stripped of scripts, foreign objects, event
handler attributes and links that are not in-document fragments or inline
raster images. Served SVG also gets ``Content-Security-Policy: sandbox``
(see :mod:`authsvc.themes.views`), so even a sanitiser miss cannot run script.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ICO_SIGNATURE = b"\x00\x00\x01\x00"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
EXTENSIONS = {"png": "image/png", "svg": "image/svg+xml", "ico": "image/x-icon"}

_DROPPED_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
_SAFE_HREF = re.compile(r"^(#[\w.:-]*|data:image/(png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]*)$")

ElementTree.register_namespace("", SVG_NS)
ElementTree.register_namespace("xlink", XLINK_NS)


class AssetRefused(ValueError):
    """The upload is not an acceptable image; the message says why."""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _clean_svg_tree(root) -> None:
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str):
                parent.remove(child)  # comments and processing instructions
                continue
            name = _local(child.tag)
            animates_link = name in {"set", "animate"} and "href" in child.get("attributeName", "")
            if name in _DROPPED_ELEMENTS or animates_link:
                parent.remove(child)
    for element in root.iter():
        for attribute in list(element.attrib):
            name, value = _local(attribute), element.attrib[attribute]
            squashed = re.sub(r"\s", "", value).lower()
            if (
                name.startswith("on")
                or (name == "href" and not _SAFE_HREF.match(value.strip()))
                or "javascript:" in squashed
                or ("url(" in squashed and "url(#" not in squashed)
            ):
                del element.attrib[attribute]


def sanitize_svg(data: bytes) -> bytes:
    """The SVG without anything that could run script or fetch elsewhere."""
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise AssetRefused("The SVG file is not well-formed XML without DTDs.") from exc
    if root.tag != f"{{{SVG_NS}}}svg":
        raise AssetRefused("The file is XML but not an SVG image.")
    _clean_svg_tree(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are: ``png``, ``ico``, ``svg`` or None."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(ICO_SIGNATURE) and len(data) > 6:
        return "ico"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")):
        return "svg"
    return None


def check_upload(filename: str, data: bytes, max_bytes: int) -> tuple[str, bytes]:
    """(content type, bytes to store) of an acceptable upload; raises AssetRefused."""
    if not data:
        raise AssetRefused("The file is empty.")
    if len(data) > max_bytes:
        raise AssetRefused(f"The file is larger than {max_bytes // 1024} KiB.")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = sniff(data)
    if kind is None:
        raise AssetRefused("Upload a PNG, SVG or ICO image.")
    if extension not in EXTENSIONS or extension != kind:
        raise AssetRefused(f"The file name says .{extension or '?'} but the file is {kind}.")
    if kind == "svg":
        data = sanitize_svg(data)
    return EXTENSIONS[kind], data
