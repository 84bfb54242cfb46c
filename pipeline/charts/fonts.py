"""Fonts: the Noto Sans CJK font vl-convert lays Chinese out with (Debian fonts-noto-cjk)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import vl_convert as vlc

from pipeline.errors import PipelineError

# --------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------

#: The family vl-convert measures and rasterises text with (Debian fonts-noto-cjk).
FONT_FAMILY = "Noto Sans CJK SC"

#: What goes into the chart config and therefore into every SVG font-family
#: attribute. vl-convert resolves the first entry; browsers fall through the
#: list and end at the generic family, so Chinese still shows without Noto.
FONT_STACK = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Source Han Sans CN', "
    "'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"
)

#: Where Debian puts the Noto CJK .ttc files; used when fc-list is missing.
DEBIAN_NOTO_CJK_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/noto"),
)

_font_lock = threading.Lock()
_font_dir: Path | None = None


class CjkFontMissing(PipelineError, RuntimeError):
    """No Noto Sans CJK font on this machine (Debian: apt-get install fonts-noto-cjk)."""


def find_cjk_font_files(family: str = FONT_FAMILY) -> list[Path]:
    """Font files that provide ``family``, as fontconfig lists them (``fc-list :lang=zh``)."""
    files: list[Path] = []
    if shutil.which("fc-list"):
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file", "family"],
            capture_output=True, text=True, check=False,
        ).stdout
        for line in out.splitlines():
            path, _, families = line.partition(":")
            if family in [f.strip() for f in families.split(",")]:
                files.append(Path(path.strip()))
    if not files:  # no fontconfig: look where Debian's package puts them
        for d in DEBIAN_NOTO_CJK_DIRS:
            files.extend(sorted(d.glob("NotoSansCJK*.tt[cf]")))
    return sorted(set(files))


def ensure_cjk_font() -> Path:
    """Register the directory holding Noto Sans CJK with vl-convert, once per process.

    vl-convert also loads system fonts by itself, so on Debian this is belt and
    braces; it matters when the fonts live outside the system font path.
    Returns the registered directory. Raises CjkFontMissing if there is none.
    """
    global _font_dir
    with _font_lock:
        if _font_dir is None:
            files = find_cjk_font_files()
            if not files:
                raise CjkFontMissing(
                    f"no font file for {FONT_FAMILY!r} found (fc-list :lang=zh); "
                    "install Debian's fonts-noto-cjk"
                )
            font_dir = files[0].parent
            vlc.register_font_directory(str(font_dir))
            _font_dir = font_dir
        return _font_dir
