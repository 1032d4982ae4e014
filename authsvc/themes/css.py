"""Restricting a tenant's custom CSS, and writing the theme as CSS custom properties.

Rationale: custom CSS is the one place a tenant writes code that runs in end
users' browsers on our origin. It is parsed with tinycss2 (a CSS Syntax Level 3
parser, so escapes such as ``\\65xpression`` are decoded before we look) and
*refused* as a whole when it contains a construct that can load foreign
content or run script: ``@import`` and any at-rule outside a small list,
``expression()``, ``behavior``/``-moz-binding``, and ``url()`` (or an
``image-set()`` string) pointing anywhere but this platform, and any parse
error. Accepted CSS is stored as the tenant wrote it (comments, line breaks
and all): the parser follows CSS Syntax Level 3 as browsers do, so what was
checked is what browsers read, and re-serialising would only lose the
tenant's formatting.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import tinycss2
from tinycss2 import ast

from authsvc.themes.contrast import link_color, readable_on

ALLOWED_AT_RULES = {
    "media",
    "supports",
    "font-face",
    "keyframes",
    "-webkit-keyframes",
    "layer",
    "container",
}
FORBIDDEN_PROPERTIES = {"behavior", "-ms-behavior", "-moz-binding"}
FORBIDDEN_FUNCTIONS = {"expression", "-moz-element", "element"}
URL_STRING_FUNCTIONS = {"image-set", "-webkit-image-set"}


class CssRefused(ValueError):
    """The CSS contains forbidden constructs; ``messages`` says which, with line numbers."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def url_allowed(url: str, own_host: str) -> bool:
    """Relative URLs and absolute http(s) URLs on this platform's host; nothing else."""
    url = url.strip()
    if not url or "\\" in url or any(ord(ch) < 0x20 for ch in url) or url.startswith("//"):
        return False
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return True
    return parts.scheme in ("http", "https") and parts.netloc.lower() == own_host.lower()


class _Checker:
    def __init__(self, own_host: str) -> None:
        self.own_host = own_host
        self.problems: list[str] = []

    def refuse(self, node, message: str) -> None:
        self.problems.append(f"line {node.source_line}: {message}")

    def values(self, tokens, inside_url_strings: bool = False) -> None:
        for token in tokens or ():
            is_url_string = isinstance(token, ast.StringToken) and inside_url_strings
            if isinstance(token, ast.URLToken) or is_url_string:
                self._url(token, token.value)
            elif isinstance(token, ast.FunctionBlock):
                self._function(token)
            elif isinstance(
                token, ast.ParenthesesBlock | ast.SquareBracketsBlock | ast.CurlyBracketsBlock
            ):
                self.values(token.content, inside_url_strings)
            elif isinstance(token, ast.ParseError):
                self.refuse(token, f"cannot parse: {token.message}")

    def _function(self, token: ast.FunctionBlock) -> None:
        name = token.lower_name
        if name in FORBIDDEN_FUNCTIONS:
            self.refuse(token, f"{name}() is not allowed")
        elif name == "url":
            strings = [t for t in token.arguments if isinstance(t, ast.StringToken)]
            self._url(token, strings[0].value if strings else "")
        else:
            self.values(token.arguments, inside_url_strings=name in URL_STRING_FUNCTIONS)

    def _url(self, node, url: str) -> None:
        if not url_allowed(url, self.own_host):
            self.refuse(node, f"url({url!r}) must be a relative URL or on {self.own_host}")

    def block(self, content) -> None:
        """Declarations and nested rules inside ``{...}``."""
        nodes = tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
        for node in nodes:
            if isinstance(node, ast.Declaration):
                if node.lower_name in FORBIDDEN_PROPERTIES:
                    self.refuse(node, f"the {node.lower_name} property is not allowed")
                self.values(node.value)
            else:
                self.rule(node)

    def rule(self, node) -> None:
        if isinstance(node, ast.ParseError):
            self.refuse(node, f"cannot parse: {node.message}")
            return
        if isinstance(node, ast.AtRule) and node.lower_at_keyword not in ALLOWED_AT_RULES:
            self.refuse(node, f"@{node.lower_at_keyword} is not allowed")
            return
        self.values(node.prelude)
        if node.content is not None:
            self.block(node.content)


def sanitize_custom_css(css: str, own_host: str) -> str:
    """The CSS as written (line endings made ``\\n``); raises :class:`CssRefused` if forbidden."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    checker = _Checker(own_host)
    for rule in rules:
        checker.rule(rule)
    if checker.problems:
        raise CssRefused(checker.problems)
    return css.replace("\r\n", "\n").strip() + "\n"


#: Hosted pages follow the system's dark setting with these; the tenant's primary and
#: accent colours stay, and the link colour is computed again against the dark background.
DARK = {"background": "#111827", "text": "#e5e7eb", "secondary": "#9ca3af"}


def dark_properties_css(values: dict[str, str]) -> str:
    """The dark-mode overrides, applied when the system prefers a dark colour scheme."""
    link = link_color(values["primary_color"], DARK["background"], DARK["text"])
    lines = [f"    --authsvc-{name}: {value};" for name, value in DARK.items()]
    lines.append(f"    --authsvc-link: {link};")
    body = "\n".join(lines)
    return f"@media (prefers-color-scheme: dark) {{\n  :root {{\n{body}\n  }}\n}}\n"


def theme_properties_css(values: dict[str, str], dark: bool = True) -> str:
    """The theme as CSS custom properties on ``:root`` (values are validated on save).

    With ``dark``, a media query swaps in :data:`DARK` for readers whose system is dark.
    """
    lines = [
        f"  --authsvc-{name.removesuffix('_color').replace('_', '-')}: {values[name]};"
        for name in (
            "primary_color",
            "secondary_color",
            "accent_color",
            "background_color",
            "text_color",
        )
    ]
    primary, background = values["primary_color"], values["background_color"]
    lines.append(f"  --authsvc-on-primary: {readable_on(primary)};")
    link = link_color(primary, background, values["text_color"])
    lines.append(f"  --authsvc-link: {link};")
    # The panel's theme preview shows the light theme even on a dark system.
    lines.append(f"  --authsvc-link-light: {link};")
    lines.append(f"  --authsvc-font: {values['font_stack']};")
    light = ":root {\n" + "\n".join(lines) + "\n}\n"
    return light + dark_properties_css(values) if dark else light
