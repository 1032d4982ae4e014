"""Colour contrast as WCAG 2.2 defines it, for theme colours that must stay readable.

Text on the primary colour (buttons, the panel's active menu entry) is chosen,
not configured: white or black, whichever contrasts more; one of them always
reaches 4.58:1 whatever the colour. Body text on the background is the
tenant's choice and is refused below 4.5:1 (WCAG 1.4.3, level AA).
"""

from __future__ import annotations

MINIMUM = 4.5
WHITE, BLACK = "#ffffff", "#000000"


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """Relative luminance of a ``#rrggbb`` colour (0 black .. 1 white)."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """The contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on(color: str) -> str:
    """White or black, whichever is easier to read on ``color``."""
    return WHITE if contrast_ratio(WHITE, color) >= contrast_ratio(BLACK, color) else BLACK


def link_color(primary: str, background: str, text: str) -> str:
    """The primary colour for links if it is readable on the background, else the text colour."""
    return primary if contrast_ratio(primary, background) >= MINIMUM else text
