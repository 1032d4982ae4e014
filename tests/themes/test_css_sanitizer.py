"""Custom CSS: every construct that can load foreign content or run script is refused."""

from __future__ import annotations

import pytest

from authsvc.themes.css import CssRefused, sanitize_custom_css

HOST = "authsvc.test"

FORBIDDEN = {
    "@import": '@import url("https://evil.example/x.css");',
    "@import string": '@import "x.css";',
    "@charset": '@charset "utf-8";',
    "@namespace": "@namespace svg url(http://www.w3.org/2000/svg);",
    "expression()": ".a { width: expression(alert(1)); }",
    "escaped expression()": ".a { width: \\65xpression(alert(1)); }",
    "behavior": ".a { behavior: url(/x.htc); }",
    "-moz-binding": ".a { -moz-binding: url(/x.xml#xss); }",
    "foreign url()": ".a { background: url(https://evil.example/x.png); }",
    "foreign quoted url()": '.a { background: url("http://evil.example/x.png"); }',
    "protocol-relative url()": ".a { background: url(//evil.example/x.png); }",
    "backslash url()": '.a { background: url("\\\\evil.example/x.png"); }',
    "javascript url()": ".a { background: url(javascript:alert(1)); }",
    "data url()": ".a { background: url(data:image/svg+xml;base64,PHN2Zz4=); }",
    "foreign image-set()": '.a { background: image-set("https://evil.example/a.png" 1x); }',
    "nested in @media": "@media (min-width: 1px) { .a { background: url(https://evil.example/x); } }",
    "nested rule": ".a { & .b { -moz-binding: url(/x); } }",
    "@font-face src": '@font-face { font-family: X; src: url("https://evil.example/f.woff2"); }',
}


@pytest.mark.parametrize("css", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_forbidden_construct_is_refused(css):
    with pytest.raises(CssRefused) as refused:
        sanitize_custom_css(css, HOST)
    assert refused.value.messages and refused.value.messages[0].startswith("line 1:")


def test_safe_css_is_kept_as_written_with_comments_and_line_breaks():
    css = """
    /* brand */
    .login-card { border-radius: 12px; box-shadow: 0 1px 2px rgba(0,0,0,.2); }
    h1 { color: var(--authsvc-primary); font-weight: 700 !important; }
    @media (max-width: 600px) { .login-card { padding: 8px; } }
    @font-face { font-family: Brand; src: url(/static/brand.woff2) format("woff2"); }
    .hero { background: url(/t/acme/assets/logo) no-repeat, url("https://authsvc.test/x.png"); }
    @keyframes pulse { from { opacity: 1 } to { opacity: .5 } }
    """
    out = sanitize_custom_css(css, HOST)
    for kept in (
        ".login-card { border-radius: 12px;",
        "color: var(--authsvc-primary)",
        "@media (max-width: 600px)",
        "url(/static/brand.woff2)",
        'url("https://authsvc.test/x.png")',
        "@keyframes pulse",
    ):
        assert kept in out
    assert out == css.strip() + "\n", "stored as written, not re-serialised"
    assert sanitize_custom_css("/* a */\r\n.a { color: red; }\r\n", HOST) == (
        "/* a */\n.a { color: red; }\n"
    )


def test_a_comment_cannot_hide_a_forbidden_construct_from_the_check():
    """Browsers end a comment at the first */, as the parser does: the @import is seen."""
    with pytest.raises(CssRefused):
        sanitize_custom_css('/* x */ @import "a.css"; /* y */', HOST)
    with pytest.raises(CssRefused):
        sanitize_custom_css(
            ".a { color: red; /* } */ background: url(https://evil.example/x) }", HOST
        )


def test_every_problem_is_reported_with_its_line():
    css = '@import "a.css";\n.a { behavior: url(/x.htc); }\n.b { color: red; }'
    with pytest.raises(CssRefused) as refused:
        sanitize_custom_css(css, HOST)
    assert refused.value.messages[0].startswith("line 1: @import")
    assert any(m.startswith("line 2: the behavior property") for m in refused.value.messages)
