"""Obviously fictional test data for the `penalties` and `blacklist` resources.

示例数据，全部虚构，不得发布。 Everything here is invented: every party, person and
authority name starts with 示例（虚构）, decision numbers contain 示例, URLs use the
reserved domain example.invalid.  The law names are real, but the article numbers
are illustrative only and were not checked clause by clause against the law texts:
never use this data as a legal reference.  The USCCs are random codes with valid
check characters; one may by chance equal a real entity's code, which is why the
names are what marks a row as fictional.  Never write any of this into datasets/.

Plain module (no pytest dependency):

    make_uscc(rng, region="360100", kind="91")   valid 统一社会信用代码
    penalty_rows(n, seed=0)                        rows for `penalties`
    blacklist_rows(n, seed=0)                      rows for `blacklist`
    write_csv(path, rows, fieldnames)              UTF-8 CSV, "\\n" line endings
    inject_defects(rows, rng, ...)                 known defects at known rows

Rows are dicts of strings exactly as they appear in the CSV; "" is null.
"""

from __future__ import annotations

import csv
import random
from collections import namedtuple
from datetime import date, timedelta
from pathlib import Path

# ---------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I O S V Z
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1,3,9,27,19,26,...,28
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714

# Nanchang: the city (360100) and districts / counties that existed throughout 2016-2026.
NANCHANG_REGIONS = ("360100", "360102", "360103", "360104", "360111", "360112", "360121", "360123", "360124")


def org_code_check(body8: str) -> str:
    """GB 11714 check digit of an 8-character organisation-code body (letters count A=10 .. Z=35)."""
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(body8, ORG_WEIGHTS)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_check(first17: str) -> str:
    """GB 32100 check character of the first 17 characters."""
    return USCC_CHARSET[(31 - sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS)) % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    """Both checks: the GB 32100 check character and the embedded GB 11714 check digit."""
    return (
        len(code) == 18
        and all(c in _USCC_VALUE for c in code)
        and code[2:8].isdigit()
        and uscc_check(code[:17]) == code[17]
        and org_code_check(code[8:16]) == code[16]
    )


def make_uscc(rng: random.Random, region: str = "360100", kind: str = "91", org_prefix: str | None = None) -> str:
    """A valid fictional USCC.

    kind: registration authority + entity category (positions 1-2): "91" enterprise,
    "92" sole trader (个体工商户), "11" government body (机关).
    region: positions 3-8, a Nanchang code 3601xx.
    org_prefix: start of the organisation-code body; default "MA" for 9x codes (the
    shape of codes issued after 2015), none otherwise.
    """
    if len(kind) != 2 or any(c not in _USCC_VALUE for c in kind):
        raise ValueError(f"bad kind {kind!r}")
    if len(region) != 6 or not region.isdigit():
        raise ValueError(f"bad region {region!r}")
    if org_prefix is None:
        org_prefix = "MA" if kind[0] == "9" else ""
    body = org_prefix + "".join(rng.choice(USCC_CHARSET) for _ in range(8 - len(org_prefix)))
    first17 = kind + region + body + org_code_check(body)
    return first17 + uscc_check(first17)


def registration_no15(rng: random.Random, authority: str = "360100") -> str:
    """A legacy 15-digit 工商注册号 whose last digit is the ISO 7064 MOD 11,10 check."""
    digits = authority + "".join(rng.choice("0123456789") for _ in range(8))
    p = 10
    for d in digits:
        s = (p + int(d)) % 10 or 10
        p = (2 * s) % 11
    return digits + str((11 - p) % 10)


# ---------------------------------------------------------------------------
# Dates: one table of ISO strings, so rows cost list look-ups, not date arithmetic
# ---------------------------------------------------------------------------

AS_OF = date(2026, 11, 28)  # the "today" of the fictional data: no removal or retrieval after it
_D0 = date(2016, 1, 1)
_D1 = date(2031, 12, 31)
_DAYS = [(_D0 + timedelta(i)).isoformat() for i in range((_D1 - _D0).days + 1)]


def _idx(d: date) -> int:
    return (d - _D0).days


def add_years(d: date, years: int) -> date:
    """Same calendar day `years` later; 29 February becomes 28 February (民法典 第二百零二条: no
    corresponding day -> last day of the month)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def _years_table(years: int) -> list[int]:
    last = _idx(add_years(_D1, -years))
    return [_idx(add_years(_D0 + timedelta(i), years)) for i in range(last + 1)]


_PLUS1Y = _years_table(1)
_PLUS3Y = _years_table(3)

# ---------------------------------------------------------------------------
# Field lists (exactly the schema's order; tests compare them with datapackage.json)
# ---------------------------------------------------------------------------

PENALTY_FIELDS = (
    "decision_number", "party_name", "party_category", "uscc", "registration_no", "org_code",
    "legal_representative", "violation_type", "violation_facts", "legal_basis", "penalty_category",
    "penalty_content", "fine_amount_wan", "confiscation_amount_wan", "licence_affected",
    "decision_date", "valid_until", "publicity_until", "authority", "authority_uscc",
    "data_source_unit", "remarks", "source_url", "retrieved_date",
)
BLACKLIST_FIELDS = (
    "enterprise_name", "uscc", "principal_name", "regime", "listing_situation", "legal_basis",
    "penalty_decision_number", "listing_decision_number", "deciding_authority", "listing_date",
    "display_until", "removal_date", "removal_kind", "remedy", "source_url", "retrieved_date",
)
PARTY_CATEGORIES = ("法人及非法人组织", "个体工商户", "自然人")
# The alternatives of the penalty_category pattern (行政处罚法 2021 第九条 plus the older 执照 kinds).
PENALTY_CATEGORIES = (
    "警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "暂扣许可证件", "暂扣执照",
    "降低资质等级", "吊销许可证件", "吊销执照", "限制开展生产经营活动", "责令停产停业",
    "责令关闭", "限制从业", "行政拘留", "其他",
)
REMOVAL_KINDS = ("期满移出", "提前移出", "撤销列入")

PREFIX = "示例（虚构）"
AUTHORITY = PREFIX + "南昌市应急管理局"
POLICE = PREFIX + "南昌市公安局"  # 行政拘留 is for the police, not the emergency-management bureau
SAFETY_LAW = "《中华人民共和国安全生产法》"

_SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗"
_INDUSTRIES = ("化工", "建筑工程", "烟花爆竹", "矿业", "危险化学品经营", "机械制造", "物流", "食品加工", "燃气", "安全评价技术服务")
_FORMS = ("有限公司", "有限责任公司", "股份有限公司")
_SHOPS = ("五金店", "加油站", "烟花爆竹零售店", "汽修厂", "液化气供应站", "木材加工厂")

# Penalty templates:
# (violation_type, facts, legal_basis, penalty_category, fine range in yuan or None,
#  confiscation?, licence?, days of valid_until or None, publicity years, natural person?, weight)
_T = (
    ("未按规定对从业人员进行安全生产教育和培训", "经检查，该单位未按规定对从业人员进行安全生产教育和培训（虚构情节）。",
     SAFETY_LAW + "第九十四条", "罚款", (5000, 50000), False, False, None, 1, False, 30),
    ("特种作业人员未持证上岗", "经检查，该单位一名电焊作业人员未取得特种作业操作证上岗作业（虚构情节）。",
     SAFETY_LAW + "第九十四条", "罚款", (10000, 50000), False, False, None, 1, False, 20),
    ("未采取措施消除事故隐患", "该单位对检查发现的重大事故隐患拒不执行整改指令（虚构情节）。",
     SAFETY_LAW + "第九十九条", "罚款;责令停产停业", (100000, 500000), False, False, 90, 3, False, 10),
    ("安全设备未经常性维护保养", "经检查，该单位可燃气体报警装置长期停用（虚构情节）。",
     SAFETY_LAW + "第九十六条", "警告;罚款", (5000, 50000), False, False, None, 1, False, 8),
    ("发生生产安全事故负有责任", "该单位发生一起一般生产安全事故，造成一人死亡（虚构情节）。",
     SAFETY_LAW + "第一百零九条", "罚款", (200000, 500000), False, False, None, 3, False, 6),
    ("非法经营烟花爆竹", "当事人未取得烟花爆竹经营许可证擅自经营烟花爆竹（虚构情节）。",
     "《烟花爆竹安全管理条例》第三十六条", "没收违法所得;没收非法财物;罚款", (20000, 100000), True, False, None, 3, False, 5),
    ("不具备安全生产条件", "该单位经停产停业整顿仍不具备安全生产条件（虚构情节）。",
     SAFETY_LAW + "第一百零八条", "责令关闭;吊销许可证件", None, False, True, None, 3, False, 3),
    ("不再具备安全生产许可条件", "该单位取得安全生产许可证后降低安全生产条件（虚构情节）。",
     "《安全生产许可证条例》第十四条", "暂扣许可证件", None, False, True, 180, 3, False, 3),
    ("安全评价机构出具失实报告", "该机构出具的安全评价报告与现场情况严重不符（虚构情节）。",
     "《安全评价检测检验机构管理办法》第三十条", "降低资质等级;没收违法所得", None, True, True, None, 3, False, 1),
    ("主要负责人未履行安全生产管理职责导致事故", "当事人作为主要负责人未履行安全生产管理职责，导致发生一般生产安全事故（虚构情节）。",
     SAFETY_LAW + "第九十二条", "罚款", (20000, 150000), False, False, None, 3, True, 6),
    ("主要负责人受刑事处罚后限制任职", "当事人因未履行安全生产管理职责受刑事处罚（虚构情节）。",
     SAFETY_LAW + "第九十一条", "限制从业", None, False, False, 1825, 3, True, 1),
    ("事故发生后主要负责人逃匿", "事故发生后当事人逃匿（虚构情节）。",
     SAFETY_LAW + "第一百零六条", "行政拘留", None, False, False, None, 1, True, 1),
    ("未按规定报告事故隐患排查治理情况", "该单位未如实记录事故隐患排查治理情况（虚构情节）。",
     SAFETY_LAW + "第九十八条", "通报批评", None, False, False, None, 1, False, 1),  # a 2021 kind: anachronistic before 2021-07-15, kept so the pattern is exercised
    ("违规组织生产", "该单位在停产整顿期间擅自组织生产（虚构情节）。",
     SAFETY_LAW + "第九十九条", "限制开展生产经营活动;罚款", (100000, 500000), False, False, 60, 3, False, 1),
    ("营业执照载明事项外从事危险作业", "当事人超出核准经营范围从事危险作业（虚构情节）。",
     "《危险化学品安全管理条例》第七十七条", "暂扣执照", None, False, True, 90, 1, False, 1),
    ("非法生产危险化学品", "当事人未取得安全生产许可证生产危险化学品（虚构情节）。",
     "《危险化学品安全管理条例》第七十七条", "吊销执照;罚款", (100000, 200000), False, True, None, 3, False, 1),
    ("建设项目安全设施未按规定验收", "该单位建设项目安全设施未经验收即投入使用（虚构情节）。",
     SAFETY_LAW + "第九十八条", "其他", None, False, False, None, 1, False, 1),
)
_CONTENT_SUFFIX = {
    "警告": "给予警告", "通报批评": "给予通报批评", "没收违法所得": "没收违法所得",
    "没收非法财物": "没收非法财物", "暂扣许可证件": "暂扣安全生产许可证", "暂扣执照": "暂扣营业执照",
    "降低资质等级": "降低资质等级", "吊销许可证件": "吊销安全生产许可证", "吊销执照": "吊销营业执照",
    "限制开展生产经营活动": "限制开展生产经营活动", "责令停产停业": "责令停产停业整顿",
    "责令关闭": "责令关闭", "限制从业": "五年内不得担任任何生产经营单位的主要负责人",
    "行政拘留": "处十日行政拘留", "其他": "责令停止使用，限期改正",
}


def _wan(yuan: int) -> str:
    """Integer yuan -> 万元 string with at most 4 decimals, no trailing zeros (15000 -> '1.5')."""
    w, r = divmod(yuan, 10000)
    return f"{w}.{r:04d}".rstrip("0").rstrip(".") if r else str(w)


def _amount_pool(rng: random.Random, lo: int, hi: int, size: int = 200) -> list[str]:
    out = []
    for i in range(size):
        y = rng.randint(lo, hi)
        if i % 10 < 6:
            y = max(lo, y // 5000 * 5000)  # multiples of 0.5 万元
        elif i % 10 < 9:
            y = max(lo, y // 1000 * 1000)  # multiples of 0.1 万元
        out.append(_wan(y))  # else an odd amount to the yuan (4 decimals)
    return out


def _person(rng: random.Random) -> str:
    return PREFIX + rng.choice(_SURNAMES) + "某"


def _entity_pool(rng: random.Random, size: int):
    """(name, uscc, legal representative, party_category, registration_no) tuples."""
    pool = []
    for i in range(1, size + 1):
        region = rng.choice(NANCHANG_REGIONS)
        if rng.random() < 0.15:
            name = f"{PREFIX}{rng.choice(_SHOPS)}{i:04d}"
            pool.append((name, make_uscc(rng, region, "92"), _person(rng), "个体工商户", registration_no15(rng, region)))
        else:
            name = f"{PREFIX}{rng.choice(_INDUSTRIES)}{rng.choice(_FORMS)}{i:04d}"
            pool.append((name, make_uscc(rng, region, "91"), _person(rng), "法人及非法人组织", registration_no15(rng, region)))
    return pool


# ---------------------------------------------------------------------------
# Penalties
# ---------------------------------------------------------------------------


def penalty_rows(n: int, seed: int = 0, pool_size: int = 5000):
    """Yield n fictional `penalties` rows, decisions dated 2016-01-01 .. 2020-12-31.

    decision_number is unique (a running number); parties come from a pool of
    `pool_size` fictional entities, so names and USCCs repeat consistently.
    """
    rng = random.Random(seed)
    rnd = rng.random
    pool = _entity_pool(rng, pool_size)
    npool = len(pool)
    authority_uscc = make_uscc(rng, "360100", "11")
    police_uscc = make_uscc(rng, "360100", "11")
    people = [_person(rng) for _ in range(200)]

    # weighted template table, with per-template amount pools
    table = []
    for t in _T:
        fines = _amount_pool(rng, *t[4]) if t[4] else None
        confs = _amount_pool(rng, 1000, 300000) if t[5] else None
        cats = t[3].split(";")
        content = "；".join(("处罚款{fine}万元" if c == "罚款" else _CONTENT_SUFFIX[c]) for c in cats)
        table.extend([(t, fines, confs, content)] * t[10])
    ntable = len(table)

    first, last = _idx(date(2016, 1, 1)), _idx(date(2020, 12, 31))
    span = last - first + 1
    width = max(4, len(str(n)))

    for i in range(1, n + 1):
        t, fines, confs, content = table[int(rnd() * ntable)]
        d = first + int(rnd() * span)
        ddate = _DAYS[d]
        year = ddate[:4]
        natural = t[9]
        registration_no = org_code = ""
        if natural:
            party_name, party_category, uscc, rep = people[int(rnd() * 200)], "自然人", "", ""
        else:
            party_name, uscc, rep, party_category, reg = pool[int(rnd() * npool)]
            if year == "2016":  # transition years: some records still carry the legacy codes
                r = rnd()
                if r < 0.2 and party_category == "个体工商户":
                    uscc, registration_no = "", reg
                elif r < 0.3 and party_category == "法人及非法人组织":
                    org_code = uscc[8:16] + "-" + uscc[16]
        fine = fines[int(rnd() * len(fines))] if fines else ""
        if t[0] == "事故发生后主要负责人逃匿":
            authority, a_uscc, number = POLICE, police_uscc, f"洪公罚〔{year}〕示例{i:0{width}d}号"
        else:
            authority, a_uscc, number = AUTHORITY, authority_uscc, f"洪应急罚〔{year}〕示例{i:0{width}d}号"
        r = rnd()
        yield {
            "decision_number": number,
            "party_name": party_name,
            "party_category": party_category,
            "uscc": uscc,
            "registration_no": registration_no,
            "org_code": org_code,
            "legal_representative": rep,
            "violation_type": t[0],
            "violation_facts": t[1],
            "legal_basis": t[2],
            "penalty_category": t[3],
            "penalty_content": content.format(fine=fine) if fines else content,
            "fine_amount_wan": fine,
            "confiscation_amount_wan": confs[int(rnd() * len(confs))] if confs else "",
            "licence_affected": f"安全生产许可证（编号：（赣）安许证字〔{year}〕示例{i:0{width}d}号）" if t[6] else "",
            "decision_date": ddate,
            "valid_until": _DAYS[d + t[7]] if t[7] else "",
            "publicity_until": _DAYS[_PLUS3Y[d] if t[8] == 3 else _PLUS1Y[d]],
            "authority": authority,
            "authority_uscc": a_uscc,
            "data_source_unit": authority if r < 0.8 else "",
            "remarks": "示例数据，虚构，不得发布" if r < 0.05 else "",
            "source_url": f"https://example.invalid/penalties/{i}" if r < 0.1 else "",
            "retrieved_date": _DAYS[d + 30] if r < 0.1 else "",
        }


# ---------------------------------------------------------------------------
# Blacklist
# ---------------------------------------------------------------------------
# Display-period convention (also used in the hand-made fixtures):
#   display_until = add_years(listing_date, 1) under regime 2017, add_years(listing_date, 3)
#   under regime 2023 -- the same calendar day N years later, 29 Feb -> 28 Feb. The listing day
#   itself is not counted and the period's last day is the corresponding day (民法典 第二百零一、
#   二百零二条); display_until is that last day, inclusive: an entry is public on display_until and
#   comes down the day after.
# Removals (never after AS_OF):
#   期满移出: removal_date = display_until + 1 day.
#   提前移出: regime 2023 only, removal_date >= add_years(listing_date, 1) + 30 days (clearly past
#            the 12 months; no boundary case) and <= display_until.
#   撤销列入: listing_date + 1 day .. display_until.
#   Otherwise removal_date and removal_kind are both empty (an expired 2017 entry may well have no
#   recorded removal: the display-until date alone takes it down).

_B2017 = (
    ("发生重大生产安全责任事故（虚构情节）", "《对安全生产领域失信行为开展联合惩戒的实施办法》（安监总办〔2017〕49号）第三条"),
    ("一年内累计发生2起较大生产安全责任事故（虚构情节）", "《对安全生产领域失信行为开展联合惩戒的实施办法》（安监总办〔2017〕49号）第三条"),
    ("发生性质恶劣、危害性严重、社会影响大的较大生产安全责任事故（虚构情节）", "《对安全生产领域失信行为开展联合惩戒的实施办法》（安监总办〔2017〕49号）第三条"),
)
_B2023 = (
    ("发生重大生产安全事故（虚构情节）", "《安全生产严重失信主体名单管理办法》（应急管理部令第11号）第五条"),
    ("12个月内累计发生2起以上较大生产安全事故（虚构情节）", "《安全生产严重失信主体名单管理办法》（应急管理部令第11号）第五条"),
    ("瞒报、谎报生产安全事故（虚构情节）", "《安全生产严重失信主体名单管理办法》（应急管理部令第11号）第五条"),
    ("未依法取得安全生产许可擅自从事生产经营活动（虚构情节）", "《安全生产严重失信主体名单管理办法》（应急管理部令第11号）第五条"),
)
REMEDY = "如不服本决定，可自收到决定书之日起六十日内向" + PREFIX + "南昌市人民政府申请行政复议，或者六个月内依法提起行政诉讼。"


def blacklist_rows(n: int, seed: int = 0, pool_size: int = 5000):
    """Yield n fictional `blacklist` rows: about half under regime 2017 (listed 2017-2022), half
    under regime 2023 (listed 2023-10-01 .. AS_OF). (uscc, listing_date) is unique."""
    rng = random.Random(seed)
    rnd = rng.random
    pool = [e for e in _entity_pool(rng, pool_size) if e[3] == "法人及非法人组织"]
    npool = len(pool)
    asof = _idx(AS_OF)
    a17, b17 = _idx(date(2017, 1, 1)), _idx(date(2022, 12, 31))
    a23 = _idx(date(2023, 10, 1))
    seen = set()
    for i in range(1, n + 1):
        regime = "2017" if rnd() < 0.5 else "2023"
        while True:
            name, uscc, rep, _, _ = pool[int(rnd() * npool)]
            d = (a17 + int(rnd() * (b17 - a17 + 1))) if regime == "2017" else (a23 + int(rnd() * (asof - a23 + 1)))
            if (uscc, d) not in seen:
                seen.add((uscc, d))
                break
        until = _PLUS1Y[d] if regime == "2017" else _PLUS3Y[d]
        year = _DAYS[d][:4]
        situation, basis = (_B2017 if regime == "2017" else _B2023)[int(rnd() * (3 if regime == "2017" else 4))]
        removal = kind = ""
        r = rnd()
        if r < 0.05:
            if min(until, asof) > d:
                kind, removal = "撤销列入", _DAYS[d + 1 + int(rnd() * (min(until, asof) - d))]
        elif r < 0.55 and until + 1 <= asof:
            kind, removal = "期满移出", _DAYS[until + 1]
        elif regime == "2023" and r < 0.75:
            early = _PLUS1Y[d] + 30
            hi = min(until, asof)
            if early <= hi:
                kind, removal = "提前移出", _DAYS[early + int(rnd() * (hi - early + 1))]
        yield {
            "enterprise_name": name,
            "uscc": uscc,
            "principal_name": rep if rnd() < 0.6 else "",
            "regime": regime,
            "listing_situation": situation,
            "legal_basis": basis,
            "penalty_decision_number": f"洪应急罚〔{year}〕示例{i:04d}号" if rnd() < 0.8 else "",
            "listing_decision_number": f"洪应急失信〔{year}〕示例{i:04d}号" if regime == "2023" else "",
            "deciding_authority": AUTHORITY,
            "listing_date": _DAYS[d],
            "display_until": _DAYS[until],
            "removal_date": removal,
            "removal_kind": kind,
            "remedy": REMEDY if regime == "2023" else "",
            "source_url": f"https://example.invalid/blacklist/{i}" if r > 0.9 else "",
            "retrieved_date": AS_OF.isoformat() if r > 0.9 else "",
        }


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


def write_csv(path, rows, fieldnames) -> int:
    """Write rows (dicts) as UTF-8 CSV with a header and "\\n" line endings; return the row count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(fieldnames), lineterminator="\n", extrasaction="raise")
        w.writeheader()
        for row in rows:
            w.writerow(row)
            count += 1
    return count


# ---------------------------------------------------------------------------
# Defect injection (for benchmarks of the validator)
# ---------------------------------------------------------------------------
# Row numbers follow frictionless: the header is row 1, the first data row is row 2, so the row at
# list index i is reported as row i + 2. Each defect goes into its own row (one defect per row), so
# every expected finding is exactly one (row_number, field, code).
#
# Codes (the brief's names) and what the project's validator (pipeline/errors.py's catalogue) and
# plain frictionless report for them:
DEFECT_CODES = ("duplicate-key", "uscc-check-digit", "pattern-mismatch", "enum-mismatch", "minimum", "required", "type")
EXTRA_DEFECT_CODES = ("uscc-org-code",)  # opt-in: pass kinds=DEFECT_CODES + EXTRA_DEFECT_CODES
CATALOGUE_CODE = {  # defect code -> pipeline.validate.errors CATALOGUE code
    "duplicate-key": "primary-key",  # decision_number is also `unique`, so "unique" may come with it
    "uscc-check-digit": "uscc-check-digit",
    "uscc-org-code": "uscc-org-code",
    "pattern-mismatch": "pattern",
    "enum-mismatch": "enum",
    "minimum": "minimum",
    "required": "required",
    "type": "type-error",
}
FRICTIONLESS_TYPE = {  # defect code -> frictionless error type (None: frictionless cannot see it)
    "duplicate-key": "primary-key",  # plus "unique-error" on the same cell
    "uscc-check-digit": None,
    "uscc-org-code": None,
    "pattern-mismatch": "constraint-error",
    "enum-mismatch": "constraint-error",
    "minimum": "constraint-error",
    "required": "constraint-error",
    "type": "type-error",
}

Defect = namedtuple("Defect", "row_number field code")

# Variants, used in turn for successive defects of one kind: (field, bad value). None = computed.
_VARIANTS = {
    "pattern-mismatch": (("penalty_category", "foo"), ("penalty_category", "罚款；责令停产停业"),
                         ("source_url", "example.invalid/penalties/1")),
    "enum-mismatch": (("party_category", "foo"), ("party_category", "企业")),
    "minimum": (("fine_amount_wan", "-0.5"), ("confiscation_amount_wan", "-1")),
    "required": (("party_name", ""), ("violation_type", ""), ("authority", "")),
    "type": (("decision_date", "2019-02-30"), ("publicity_until", "2020-13-01"), ("fine_amount_wan", "五万")),
}


def _bad_check_char(code: str) -> str:
    c = code[17]
    return code[:17] + USCC_CHARSET[(_USCC_VALUE[c] + 1) % 31]


def _bad_org_code(code: str) -> str:
    choices = "0123456789X"
    wrong = choices[(choices.index(code[16]) + 1) % 11]
    first17 = code[:16] + wrong
    return first17 + uscc_check(first17)  # GB 32100 still passes; only GB 11714 fails


def plan_defects(n_rows: int, rng: random.Random, per_kind: int = 1, kinds=DEFECT_CODES):
    """Choose target rows (0-based indices) for `per_kind` defects of each kind.

    Returns {index: (kind, variant_no, source_index)}; source_index is the earlier row whose
    decision_number a duplicate-key row copies (that row is left alone).
    """
    per_dup = per_kind if "duplicate-key" in kinds else 0
    needed = per_kind * len(kinds) + per_dup
    if needed > n_rows:
        raise ValueError(f"{needed} rows needed for these defects, only {n_rows}")
    picked = rng.sample(range(n_rows), needed)
    plan = {}
    for kind in kinds:
        for v in range(per_kind):
            if kind == "duplicate-key":
                a, b = sorted((picked.pop(), picked.pop()))
                plan[b] = (kind, v, a)
            else:
                plan[picked.pop()] = (kind, v, None)
    return plan


_NEEDS_USCC = ("uscc-check-digit", "uscc-org-code", "enum-mismatch")


def apply_defects(rows, plan, found: list):
    """Yield rows with the planned defects applied (as changed copies); append a Defect per defect
    applied to `found`. Streams, so it works on penalty_rows(1_000_000) without a list.

    A USCC or enum defect planned for a row without a party USCC (or with a legacy org_code, which
    a broken USCC would contradict) is carried over to the next unplanned row that has a USCC and
    no org_code, so no row gets a second finding (e.g. uscc-required on a natural person whose
    category became invalid); the row numbers in `found` are
    always where the defect actually went. Defects still pending at the end are dropped.
    """
    sources = {src: idx for idx, (k, _, src) in plan.items() if k == "duplicate-key"}
    keys = {}
    pending = []
    for i, row in enumerate(rows):
        if i in sources:
            keys[sources[i]] = row["decision_number"]
        job = plan.get(i)
        if job is None and pending and row["uscc"] and not row["org_code"] and i not in sources:
            job = pending.pop(0)
        if job is not None:
            kind, v, _ = job
            if kind in _NEEDS_USCC and not (row["uscc"] and not row["org_code"]):
                pending.append(job)
                yield row
                continue
            row = dict(row)
            if kind == "duplicate-key":
                field, value = "decision_number", keys[i]
            elif kind == "uscc-check-digit":
                field, value = "uscc", _bad_check_char(row["uscc"])
            elif kind == "uscc-org-code":
                field, value = "uscc", _bad_org_code(row["uscc"])
            else:
                variants = _VARIANTS[kind]
                field, value = variants[v % len(variants)]
            row[field] = value
            found.append(Defect(i + 2, field, kind))
        yield row


def inject_defects(rows, rng: random.Random, per_kind: int = 1, kinds=DEFECT_CODES):
    """Return (rows_with_defects, defects) for a list of penalty rows.

    defects: Defect(row_number, field, code) tuples sorted by row; row_number counts the header
    as row 1 (first data row = 2), as frictionless does. The input list is not modified.
    """
    rows = list(rows)
    found: list[Defect] = []
    out = list(apply_defects(rows, plan_defects(len(rows), rng, per_kind, kinds), found))
    return out, sorted(found)
