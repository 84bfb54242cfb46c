"""Checks that PNG text really was drawn with the CJK font (no boxes, no missing text)."""

from __future__ import annotations

import copy
import hashlib
import re
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt

from pipeline.charts.fonts import FONT_FAMILY
from pipeline.charts.render import _render_png, chart_to_spec

# --------------------------------------------------------------------------
# Checking that the CJK font was really used (no tofu, no missing text)
# --------------------------------------------------------------------------

def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Minimal PNG decoder (8-bit RGB/RGBA/grey, non-interlaced, as resvg writes).

    Returns (width, height, rows) with each row as RGBA bytes. No Pillow needed.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    width = height = color_type = bit_depth = interlace = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            width, height, bit_depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
    channels = {6: 4, 2: 3, 0: 1, 4: 2}.get(color_type)
    if bit_depth != 8 or interlace != 0 or channels is None:
        raise ValueError(f"unsupported PNG (depth {bit_depth}, colour type {color_type}, interlace {interlace})")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    i = 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if ftype == 1:
            for x in range(channels, stride):
                line[x] = (line[x] + line[x - channels]) & 0xFF
        elif ftype == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 0xFF
        elif ftype == 3:
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 0xFF
        elif ftype == 4:
            for x in range(stride):
                a = line[x - channels] if x >= channels else 0
                b = prev[x]
                c = prev[x - channels] if x >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad PNG filter {ftype}")
        prev = line
        rows.append(bytes(_to_rgba(line, channels)))
    return width, height, rows


def _to_rgba(line: bytearray, channels: int) -> bytearray:
    if channels == 4:
        return line
    out = bytearray()
    for x in range(0, len(line), channels):
        px = line[x:x + channels]
        if channels == 3:
            out += px + b"\xff"
        elif channels == 1:
            out += bytes((px[0], px[0], px[0], 255))
        else:  # grey + alpha
            out += bytes((px[0], px[0], px[0], px[1]))
    return out


def ink_pixels(png: bytes, *, threshold: int = 128) -> int:
    """Pixels noticeably darker than the white background (alpha-composited on white)."""
    _, _, rows = decode_png(png)
    n = 0
    for row in rows:
        for x in range(0, len(row), 4):
            r, g, b, a = row[x:x + 4]
            lum = (r * 299 + g * 587 + b * 114) // 1000
            lum = (lum * a + 255 * (255 - a)) // 255
            if lum < threshold:
                n += 1
    return n


def render_text_png(text: str, *, family: str = FONT_FAMILY, font_size: int = 40) -> bytes:
    """A PNG of ``text`` alone, drawn with exactly ``family`` (no fallback list)."""
    spec = {
        "data": {"values": [{"t": text}]},
        "mark": {"type": "text", "fontSize": font_size, "font": family,
                 "align": "left", "baseline": "top", "color": "black"},
        "encoding": {"text": {"field": "t"}, "x": {"value": 4}, "y": {"value": 4}},
        "width": font_size * (len(text) + 1), "height": font_size + 16,
        "config": {"view": {"stroke": None}, "background": "white"},
    }
    return _render_png(spec, 1.0)


@dataclass(frozen=True)
class CjkRenderCheck:
    """Result of check_cjk_rendering. ``ok`` only if every part holds."""

    family: str
    sample: str
    ink_with_family: int          # dark pixels when drawn with ``family``
    ink_with_missing_family: int  # dark pixels with a family that does not exist (vl-convert draws nothing)
    distinct_glyphs: int          # how many different bitmaps the sample's characters gave
    differs_from_serif: bool      # Sans != Serif: the requested family was honoured

    @property
    def ok(self) -> bool:
        return (
            self.ink_with_family > 0
            and self.ink_with_missing_family == 0
            and self.distinct_glyphs == len(set(self.sample))
            and self.differs_from_serif
        )


MISSING_FAMILY = "No Such Font Family 7f3a"


def check_cjk_rendering(sample: str = "道路交通黑名单", *, family: str = FONT_FAMILY) -> CjkRenderCheck:
    """Prove the rasteriser draws real CJK glyphs with ``family``.

    - With a family that does not exist, vl-convert draws no text at all, so
      ink with ``family`` means the family was found (not silently replaced).
    - Tofu (.notdef boxes) looks the same for every character; drawing each
      character of ``sample`` alone must give as many different bitmaps as
      there are different characters.
    - The same text in 'Noto Serif CJK SC' must look different, showing the
      family name is honoured rather than one fallback font drawing everything.
    """
    with_family = render_text_png(sample, family=family)
    missing = render_text_png(sample, family=MISSING_FAMILY)
    serif = render_text_png(sample, family=family.replace("Sans", "Serif"))
    bitmaps = {hashlib.sha1(b"".join(decode_png(render_text_png(ch, family=family))[2])).digest()
               for ch in set(sample)}
    return CjkRenderCheck(
        family=family,
        sample=sample,
        ink_with_family=ink_pixels(with_family),
        ink_with_missing_family=ink_pixels(missing),
        distinct_glyphs=len(bitmaps),
        differs_from_serif=decode_png(serif)[2] != decode_png(with_family)[2],
    )


def font_used_in_png(chart: alt.TopLevelMixin | Mapping[str, Any], *, family: str = FONT_FAMILY,
                     scale: float = 2.0) -> bool:
    """True if chart_to_png(chart) drew its text with exactly ``family``.

    The production PNG (font list FONT_STACK) must be byte-identical to the
    chart rendered with ``family`` alone, and must differ from the chart
    rendered with a family that does not exist (which vl-convert draws with
    no text). Together: the text is there, and it is ``family``'s glyphs.
    """
    spec = chart_to_spec(chart)
    produced = _render_png(spec, scale)
    exact = _render_png(_with_font(spec, family), scale)
    missing = _render_png(_with_font(spec, MISSING_FAMILY), scale)
    return produced == exact and decode_png(produced)[2] != decode_png(missing)[2]


def _with_font(spec: Mapping[str, Any], family: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(spec))
    out.setdefault("config", {})["font"] = family
    return out


def iter_text_elements(svg: str) -> Iterable[str]:
    """Text content of every <text> element in an SVG string (unescaped)."""
    from xml.sax.saxutils import unescape

    for m in re.finditer(r"<text\b[^>]*>(.*?)</text>", svg, re.DOTALL):
        inner = re.sub(r"<[^>]+>", "", m.group(1))
        yield unescape(inner, {"&quot;": '"', "&#39;": "'"})
