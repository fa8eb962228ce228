"""Colour contrast as WCAG 2.1 defines it, and the nearest darker colour that passes."""

AA_TEXT = 4.5  # normal text, level AA


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    r, g, b = (int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on_white(color: str, minimum: float = AA_TEXT) -> str:
    """`color` if white text on it (and it as text on white) is readable, else a darker shade."""
    r, g, b = (int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    for step in range(21):
        factor = 1 - step / 20
        shade = "#{:02x}{:02x}{:02x}".format(*(round(v * factor) for v in (r, g, b)))
        if contrast(shade, "#ffffff") >= minimum:
            return shade
    return "#000000"
