"""The site's 表1 results chart and the campaign chart say what the data says.

Built from synthetic, obviously fictional rows (示例（虚构）…) through the real
plots.py functions, rendered with vl-convert into a scratch docs directory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline import charts
from pipeline.site import plots
from pipeline.site.context import Context

LOOSE = "达成（目标宽于2010年）"


def status_row(n: int, name: str, baseline, target, actual, status: str, looser, *,
               direction: str = "lower_is_better", gap_pct: float | None = None) -> dict:
    """One indicator_status row as ctx.data.plan_targets gives it (only the columns plots.py
    reads, plus gap_pct so the tests can check it is not what gets drawn)."""
    return {
        "indicator_id": f"demo-{n}", "plan": "十二五", "plan_id": "fyp12", "table_no": 1, "table_row": n,
        "name_zh": name, "unit": "起", "target_kind": "level", "target_as_written": str(target),
        "baseline_method": "series" if baseline is not None else None,
        "direction": direction, "baseline_year": 2010, "baseline": baseline, "target_year": 2015,
        "target": target, "actual": actual, "status": status,
        "status_zh": {"met": "达成", "missed": "未达成", "no_data": "无数据"}[status],
        "target_looser_than_baseline": looser, "gap_pct": gap_pct,
    }


def demo_rows() -> list[dict]:
    """Deliberately out of order; one row of each kind the chart must tell apart."""
    return [
        status_row(1, "示例（虚构）指标甲", 3, 5, 3, "met", True, gap_pct=-40.0),          # loose, lower is better
        status_row(2, "示例（虚构）指标乙", 259, 250, 234, "met", False, gap_pct=-6.4),     # tight
        status_row(3, "示例（虚构）指标丙", 235, 216, 221, "missed", False, gap_pct=2.3),   # missed
        status_row(4, "示例（虚构）指标丁", 7, 6, None, "no_data", None),                   # no data
        status_row(5, "示例（虚构）指标戊", None, 12, 10, "met", None, gap_pct=-16.7),      # no baseline
        status_row(6, "示例（虚构）指标己", 80, 70, 75, "met", True,                        # loose, higher is better
                   direction="higher_is_better", gap_pct=7.1),
    ]


def demo_campaign() -> list[dict]:
    base = {"year": 2015, "campaign_zh": "示例（虚构）专项行动“甲乙”和专项整治工作", "passage_id": "c1-s4"}
    return [
        {**base, "seq": 1, "measure_zh": "示例措施一", "value": 12, "unit": "起", "value_as_written": "12起"},
        {**base, "seq": 2, "measure_zh": "示例措施二", "value": 3, "unit": "家", "value_as_written": "3家"},
        {**base, "seq": 3, "measure_zh": "示例罚款", "value": 1.5, "unit": "万元", "value_as_written": "1.5万元"},
    ]


class FakeData:
    """The two things plots.py reads from SiteData."""

    def __init__(self, status: list[dict], campaign: list[dict] | None = None):
        self.status = status
        self.campaign = campaign or demo_campaign()

    def plan_targets(self, plan_id: str) -> list[dict]:
        return [r for r in self.status if r["plan_id"] == plan_id]


PLAN = {"plan_id": "fyp12", "name_zh": "十二五", "page": "results-12th"}


def make_ctx(docs: Path, rows: list[dict] | None = None, campaign: list[dict] | None = None) -> Context:
    return Context(data=FakeData(demo_rows() if rows is None else rows, campaign), docs=docs,
                   site_url="https://example.org/", datasette="https://example.org/datasette/")


def spec_of(docs: Path, key: str) -> dict:
    return json.loads((docs / "assets" / "charts" / f"{key}.vl.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gap(tmp_path_factory):
    docs = tmp_path_factory.mktemp("gap")
    fig = plots.plan_chart(make_ctx(docs), PLAN)
    return fig, spec_of(docs, "results-12th-gap"), docs


def drawn(spec: dict) -> list[dict]:
    return spec["data"]["values"]


# --------------------------------------------------------------------------
# 表1: loose targets marked, no percentages, the right order
# --------------------------------------------------------------------------

def test_loose_targets_are_a_category_of_their_own_and_say_so(gap):
    # Guards against: the four longest "达成" bars of the old chart were exactly the
    # targets looser than their own 2010 level, and nothing on the chart said so.
    _, spec, _ = gap
    by_label = {d["label"]: d for d in drawn(spec)}
    for name in ("示例（虚构）指标甲", "示例（虚构）指标己"):
        assert by_label[name]["category"] == LOOSE
        assert "目标宽于2010年" in by_label[name]["text"]
        assert "达成" in by_label[name]["text"]          # the result in words, not only in colour
    for name in ("示例（虚构）指标乙", "示例（虚构）指标丙", "示例（虚构）指标丁", "示例（虚构）指标戊"):
        assert "目标宽于" not in by_label[name]["text"]
        assert by_label[name]["category"] != LOOSE
    assert by_label["示例（虚构）指标甲"]["text"] == "3→3 目标5\n达成·目标宽于2010年"
    assert by_label["示例（虚构）指标丙"]["text"] == "235→221 目标216\n未达成"


def test_higher_is_better_loose_flag_is_used_not_recomputed(gap):
    # Guards against: judging looseness as "target > baseline", which is backwards for a
    # higher-is-better indicator (its loose target is BELOW the baseline: 80 -> target 70).
    _, spec, _ = gap
    (row,) = [d for d in drawn(spec) if d["label"] == "示例（虚构）指标己"]
    assert row["category"] == LOOSE and "目标宽于" in row["text"]


def test_flag_none_is_neither_loose_nor_tight(gap):
    # Guards against: a row without a baseline (flag None) being called loose, or claimed tight.
    _, spec, _ = gap
    (row,) = [d for d in drawn(spec) if d["label"] == "示例（虚构）指标戊"]
    assert row["category"] == "达成"
    assert row["text"].split("\n")[1] == "达成"
    assert not re.search(r"[宽严紧松]", row["text"])
    assert row["b"] is None                      # no baseline circle drawn


def test_no_data_row_says_so(gap):
    # Guards against: a row that cannot be judged being drawn as a result.
    _, spec, _ = gap
    (row,) = [d for d in drawn(spec) if d["label"] == "示例（虚构）指标丁"]
    assert row["category"] == "无数据" and row["text"].endswith("无数据")
    assert row["a"] is None


def test_order_is_missed_tight_loose_no_data(gap):
    # Guards against: the weakest targets leading the chart as if they were the best results.
    _, spec, _ = gap
    assert [d["label"] for d in sorted(drawn(spec), key=lambda d: d["i"])] == [
        "示例（虚构）指标丙",                      # 未达成
        "示例（虚构）指标乙", "示例（虚构）指标戊",  # 达成 (tight, then no baseline), by table_row
        "示例（虚构）指标甲", "示例（虚构）指标己",  # 达成·目标宽于2010年, by table_row
        "示例（虚构）指标丁",                      # 无数据
    ]


def test_no_percentage_gap_is_drawn(gap):
    # Guards against: percentage gaps on counts of 1 to 5 (3 against 5 = −40%) looking huge.
    _, spec, _ = gap
    rows = drawn(spec)
    gaps = {r["gap_pct"] for r in demo_rows() if r["gap_pct"] is not None}
    for d in rows:
        assert not any("pct" in k or "gap" in k for k in d)
        assert "%" not in d["text"]
        for k in ("b", "t", "a"):
            assert d[k] is None or 0.0 <= d[k] <= 1.0   # each row on its own 0..max scale
        assert not gaps & {v for v in d.values() if isinstance(v, (int, float))}
    # every row's largest value sits at the end of its own track
    for d in rows:
        present = [d[k] for k in ("b", "t", "a") if d[k] is not None]
        assert max(present) == 1.0
    text = json.dumps(spec, ensure_ascii=False)
    assert "%" not in text.replace("100%", "")


def test_title_and_legend_line(gap):
    fig, spec, _ = gap
    assert fig.title == "表1：2015年实际数与规划目标"
    assert "空心圆=2010年实际　竖线=2015年目标" in spec["title"]["subtitle"]


# --------------------------------------------------------------------------
# The summary (figcaption, SVG <desc>, og:image alt) counts the rows
# --------------------------------------------------------------------------

def test_summary_counts_come_from_the_rows(gap, tmp_path):
    # Guards against: counts in the caption written by hand and going stale when the data changes.
    fig, spec, docs = gap
    assert fig.summary.startswith("表1的6项指标中，4项2015年实际数达到规划目标，1项未达到（示例（虚构）指标丙），"
                                  "1项还不能判断（示例（虚构）指标丁）。")
    assert ("达到目标的4项中，2项的目标本身比2010年实际数还宽（示例（虚构）指标甲、示例（虚构）指标己），"
            "目标允许比2010年变差。") in fig.summary
    assert "示例（虚构）指标戊没有2010年实际数，无法判断目标宽严" in fig.summary
    assert spec["description"] == fig.summary
    svg = (docs / "assets" / "charts" / "results-12th-gap.svg").read_text(encoding="utf-8")
    assert "<desc" in svg and "2项的目标本身比2010年实际数还宽" in svg

    # change the rows: the counts change with them
    rows = [r for r in demo_rows() if r["name_zh"] not in ("示例（虚构）指标己", "示例（虚构）指标丁")]
    rows.append(status_row(7, "示例（虚构）指标庚", 1, 2, 1, "met", True))
    rows.append(status_row(8, "示例（虚构）指标辛", 5, 4, 6, "missed", False))
    other = plots.plan_chart(make_ctx(tmp_path, rows), PLAN).summary
    assert other.startswith("表1的6项指标中，4项2015年实际数达到规划目标，"
                            "2项未达到（示例（虚构）指标丙、示例（虚构）指标辛）。")
    assert ("达到目标的4项中，2项的目标本身比2010年实际数还宽（示例（虚构）指标甲、示例（虚构）指标庚），"
            "目标允许数字上升。") in other
    assert "无数据" not in other


def test_summary_without_missed_or_loose():
    rows = [status_row(1, "示例（虚构）指标甲", 10, 8, 7, "met", False),
            status_row(2, "示例（虚构）指标乙", 10, 9, 9, "met", False)]
    text = plots.gap_summary(rows, "表1")
    assert text.startswith("表1的2项指标中，2项2015年实际数达到规划目标，没有一项未达到。")
    assert "没有一项的目标宽于2010年实际数" in text


# --------------------------------------------------------------------------
# Rendering: the words are on the image, deterministic, phone width
# --------------------------------------------------------------------------

def test_chart_renders_deterministically_and_fits_a_phone(gap, tmp_path):
    # Guards against: a share image (og:image) that changes between builds, or is wider than a phone.
    _, _, docs = gap
    plots.plan_chart(make_ctx(tmp_path), PLAN)
    for suffix in ("png", "svg", "vl.json"):
        first = (docs / "assets" / "charts" / f"results-12th-gap.{suffix}").read_bytes()
        assert first == (tmp_path / "assets" / "charts" / f"results-12th-gap.{suffix}").read_bytes(), suffix
    svg = (docs / "assets" / "charts" / "results-12th-gap.svg").read_text(encoding="utf-8")
    root = re.search(r"<svg\b[^>]*>", svg).group(0)
    assert float(re.search(r' width="([\d.]+)"', root).group(1)) <= charts.PHONE_WIDTH
    width, _, _ = charts.decode_png((docs / "assets" / "charts" / "results-12th-gap.png").read_bytes())
    assert width <= 2 * charts.PHONE_WIDTH
    # the loose marking is drawn as text on the image itself, not only in the data
    texts = "".join(charts.iter_text_elements(svg))
    assert texts.count("目标宽于2010年") == 2
    assert "3→3 目标5" in texts and "未达成" in texts


# --------------------------------------------------------------------------
# The campaign chart: one named campaign, not the year's totals
# --------------------------------------------------------------------------

def test_campaign_chart_names_the_campaign_not_the_years_total(tmp_path):
    # Guards against: "2015年“打非治违”结果" reading as the year's enforcement totals, when the
    # plan gives the figures of one campaign as an example.
    fig = plots.campaign_chart(make_ctx(tmp_path))
    spec = spec_of(tmp_path, "campaign-2015")
    assert fig.title == "2015年示例（虚构）专项行动“甲乙”和专项整治工作的结果"
    assert "".join(spec["title"]["subtitle"]) == "规划举出的一次专项行动的结果，不是全年执法总数；各项单位不同"
    assert fig.summary.startswith("规划举例说，2015年开展的示例（虚构）专项行动“甲乙”和专项整治工作中，全市："
                                  "示例措施一12起；示例措施二3家；示例罚款1.5万元。")
    assert "这是该专项行动的结果，不是2015年全年的执法总数。" in fig.summary
    assert spec["description"] == fig.summary
    assert [d["label"] for d in spec["data"]["values"]] == ["示例措施一", "示例措施二"]  # 万元 not drawn
    svg = (tmp_path / "assets" / "charts" / "campaign-2015.svg").read_text(encoding="utf-8")
    assert "不是全年执法总数" in "".join(charts.iter_text_elements(svg))


def test_long_titles_break_at_a_natural_place():
    assert plots.title_lines("2015年安全大检查深化“打非治违”和专项整治工作的结果") == [
        "2015年安全大检查深化“打非治违”", "和专项整治工作的结果"]
    assert plots.title_lines("短标题") == ["短标题"]
