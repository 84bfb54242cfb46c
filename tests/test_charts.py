"""Charts render Chinese with the CJK font, deterministically; the MkDocs site
builds strictly, loads nothing from other hosts, works at 375px and finds
Chinese words with its search box."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import charts

ROOT = Path(__file__).resolve().parent.parent


def sample_chart():
    return charts.indicator_bar_chart(
        "工矿商贸就业人员10万人生产安全事故死亡率",
        charts.twelfth_plan_bars(2.1, 1.9, 1.37),
        unit="人/10万人",
    )


# --------------------------------------------------------------------------
# Fonts: the PNG really uses Noto Sans CJK, not tofu and not nothing
# --------------------------------------------------------------------------

def test_cjk_font_found_and_registered():
    files = charts.find_cjk_font_files()
    assert files, "fonts-noto-cjk is not installed"
    assert any("NotoSansCJK" in f.name for f in files)
    font_dir = charts.ensure_cjk_font()
    assert font_dir == files[0].parent
    assert charts.ensure_cjk_font() is font_dir  # registered once


def test_png_chinese_glyphs_are_real_glyphs_not_boxes():
    check = charts.check_cjk_rendering("道路交通黑名单")
    # text is drawn...
    assert check.ink_with_family > 500
    # ...and only because the family resolved: an unknown family draws nothing
    assert check.ink_with_missing_family == 0
    # tofu boxes all look alike; real glyphs differ per character
    assert check.distinct_glyphs == len(set("道路交通黑名单")) == 7
    # the family name is honoured (Sans != Serif), not one fallback for all
    assert check.differs_from_serif
    assert check.ok


def test_chart_png_was_drawn_with_the_cjk_font():
    chart = sample_chart()
    assert charts.font_used_in_png(chart)
    # negative control: the same check says no for a family that isn't there,
    # so the check is not vacuous
    assert not charts.font_used_in_png(chart, family=charts.MISSING_FAMILY)


def test_png_is_a_readable_rgba_image():
    png = charts.chart_to_png(sample_chart(), scale=1.0)
    width, height, rows = charts.decode_png(png)
    assert width <= 343 and height > 100  # fits a 375px phone at 1:1
    assert len(rows) == height and all(len(r) == width * 4 for r in rows)
    assert charts.ink_pixels(png) > 0


# --------------------------------------------------------------------------
# SVG: Chinese text as text, font fallback, responsive, accessible
# --------------------------------------------------------------------------

def test_svg_contains_chinese_title_as_text():
    svg = charts.chart_to_svg(sample_chart())
    texts = list(charts.iter_text_elements(svg))
    assert "".join(texts).count("工矿商贸就业人员10万人生产安全事故死亡率") == 1  # title (wrapped over tspans)
    assert {"2010年实际", "2015年目标", "2015年实际", "2.1", "1.9", "1.37"} <= set(texts)
    assert "单位：人/10万人" in texts
    assert "<path" in svg and "<text" in svg


def test_svg_font_family_falls_back_to_sans_serif():
    svg = charts.chart_to_svg(sample_chart())
    families = set(re.findall(r'font-family="([^"]*)"', svg))
    assert families, "no font-family attributes"
    for fam in families:
        fam = fam.replace("&#39;", "'").replace("&quot;", '"')
        assert fam.startswith("'Noto Sans CJK SC'")
        assert fam.rstrip().endswith("sans-serif")


def test_svg_is_responsive_and_accessible():
    svg = charts.chart_to_svg(sample_chart(), chart_id="c1")
    root = re.match(r"<svg\b[^>]*>", svg).group(0)
    assert 'width="100%"' in root
    assert " height=" not in root
    vb = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', root)
    assert vb and float(vb.group(1)) <= 343
    assert f"max-width:{vb.group(1)}px" in root
    assert 'role="img"' in root and 'aria-labelledby="c1-title c1-desc"' in root
    assert '<title id="c1-title">工矿商贸就业人员10万人生产安全事故死亡率</title>' in svg
    desc = re.search(r'<desc id="c1-desc">([^<]*)</desc>', svg).group(1)
    assert "2015年实际：1.37" in desc and "人/10万人" in desc
    assert 'class="marks chart"' in root

    fixed = charts.chart_to_svg(sample_chart(), responsive=False)
    fixed_root = re.match(r"<svg\b[^>]*>", fixed).group(0)
    assert re.search(r' width="\d+" height="\d+"', fixed_root)


def test_missing_value_is_written_not_drawn():
    chart = charts.indicator_bar_chart("各类事故死亡人数", charts.twelfth_plan_bars(259, 250, None), unit="人")
    texts = list(charts.iter_text_elements(charts.chart_to_svg(chart)))
    assert "未公布" in texts and "259" in texts and "250" in texts


def test_vegalite_json():
    text = charts.chart_to_vegalite_json(sample_chart())
    spec = json.loads(text)
    assert "工矿商贸" in text  # not \u-escaped
    assert spec["config"]["font"] == charts.FONT_STACK
    assert spec["description"].startswith("工矿商贸就业人员10万人生产安全事故死亡率")
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert text.endswith("}\n")


# --------------------------------------------------------------------------
# Target dots: baseline / target / actual, each row on its own scale
# --------------------------------------------------------------------------

def target_dots():
    return charts.target_dot_chart(
        "示例（虚构）目标对照",
        [charts.TargetRow("示例（虚构）指标甲", 3, 5, 3, "3→3 目标5\n达成·目标宽于基数", "达成（目标宽于基数）"),
         charts.TargetRow("示例（虚构）指标乙就业人员10万人生产安全事故死亡率", 0.9, 0.71, 0.6,
                          "0.9→0.6 目标0.71\n达成", "达成"),
         charts.TargetRow("示例（虚构）指标丙", 7, 6, None, "7→— 目标6\n无数据", "无数据")],
        subtitle=["空心圆=基数　竖线=目标", "实心圆=实际"],
    )


def test_target_dots_are_normalised_per_row():
    # Guards against: rows in different units sharing one axis (0.6 next to 259), or a
    # percentage gap being drawn instead of the values themselves.
    values = charts.chart_to_spec(target_dots())["data"]["values"]
    assert [(d["b"], d["t"], d["a"]) for d in values] == [
        (0.6, 1.0, 0.6), (1.0, pytest.approx(0.71 / 0.9), pytest.approx(0.6 / 0.9)), (1.0, pytest.approx(6 / 7), None)]
    assert [d["actual_value"] for d in values] == [3.0, 0.6, None]   # the real numbers stay in the JSON


def test_target_dots_text_and_width():
    # Guards against: the result words (colour must not be the only carrier) missing from
    # the image, or a chart wider than a 340px phone column.
    svg = charts.chart_to_svg(target_dots(), responsive=False)
    texts = "".join(charts.iter_text_elements(svg))
    for words in ("示例（虚构）目标对照", "3→3 目标5", "达成·目标宽于基数", "无数据", "空心圆=基数"):
        assert words in texts
    width = float(re.search(r'<svg\b[^>]* width="([\d.]+)"', svg).group(1))
    assert width <= charts.PHONE_WIDTH
    assert charts.font_used_in_png(target_dots())


def test_target_dots_reject_unknown_category_and_overlong_text():
    with pytest.raises(ValueError, match="unknown category"):
        charts.target_dot_chart("t", [charts.TargetRow("a", 1, 2, 3, "x", "好")])
    with pytest.raises(ValueError, match="too wide"):
        charts.target_dot_chart("t", [charts.TargetRow("a", 1, 2, 3, "很长的文字" * 6, "达成")])


def test_target_dots_are_byte_identical():
    # Guards against: the home page's share image changing from one build to the next.
    assert _digests(target_dots()) == _digests(target_dots())


# --------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------

_DIGEST_SCRIPT = """
import hashlib, sys
sys.path.insert(0, {root!r})
from pipeline import charts
ch = charts.indicator_bar_chart("工矿商贸就业人员10万人生产安全事故死亡率",
                                charts.twelfth_plan_bars(2.1, 1.9, 1.37), unit="人/10万人")
for b in (charts.chart_to_svg(ch).encode(), charts.chart_to_png(ch), charts.chart_to_vegalite_json(ch).encode()):
    print(hashlib.sha256(b).hexdigest())
"""


def _digests(chart) -> list[str]:
    return [hashlib.sha256(b).hexdigest() for b in (
        charts.chart_to_svg(chart).encode(),
        charts.chart_to_png(chart),
        charts.chart_to_vegalite_json(chart).encode(),
    )]


def test_output_is_byte_identical_in_process():
    assert _digests(sample_chart()) == _digests(sample_chart())


def test_output_is_byte_identical_across_processes():
    here = _digests(sample_chart())
    out = subprocess.run([sys.executable, "-c", _DIGEST_SCRIPT.format(root=str(ROOT))],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == here
