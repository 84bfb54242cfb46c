-- Was each target of both plans met, and by how much?  One row per indicator with a target.
-- 12th plan: baseline = 2010 actual, target = 2015 target (十二五期末规划数), actual = 2015 actual.
-- 13th plan: baseline = 2015 actual via baseline_links (a stated assumption), target = derived
-- 2020 level, actual = none in the source, so the status is no_data.
with indicators as (select * from stg_indicators),
obs as (select * from stg_observations),
levels as (select * from target_levels_2020),
fyp12 as (
    select
        i.indicator_id, i.plan, i.table_no, i.table_row, i.name_zh, i.name_en, i.unit, i.direction,
        b.period_end as baseline_year, b.value as baseline,
        t.period_end as target_year, t.value as target,
        a.value as actual,
        cast(null as double) as reduction_pct,
        cast(null as varchar) as assumption_zh,
        cast(null as varchar) as assumption_en,
        t.passage_id, t.quote
    from indicators i
    join obs t on t.indicator_id = i.indicator_id and t.kind = 'target'
    left join obs b on b.indicator_id = i.indicator_id and b.kind = 'actual' and b.period_end = 2010
    left join obs a on a.indicator_id = i.indicator_id and a.kind = 'actual' and a.period_end = t.period_end
    where i.plan = '十二五'
),
fyp13 as (
    select
        i.indicator_id, i.plan, i.table_no, i.table_row, i.name_zh, i.name_en, i.unit, i.direction,
        l.base_year as baseline_year, l.baseline_value as baseline,
        l.target_year, l.target_level as target,
        cast(null as double) as actual,
        l.reduction_pct,
        l.assumption_zh, l.assumption_en,
        l.passage_id, l.quote
    from indicators i
    join levels l using (indicator_id)
),
unioned as (
    select * from fyp12
    union all by name
    select * from fyp13
),
scored as (
    select
        *,
        case
            when actual is null or target is null then 'no_data'
            when direction = 'lower_is_better' and actual <= target then 'met'
            when direction = 'higher_is_better' and actual >= target then 'met'
            else 'missed'
        end as status,
        round(actual - target, 6) as gap_to_target,
        round((actual - target) / nullif(target, 0) * 100, 1) as gap_pct,
        -- a lower-is-better target above its own baseline asked for things to get worse
        coalesce(direction = 'lower_is_better' and target > baseline, false) as target_looser_than_baseline,
        round(actual - baseline, 6) as change_from_baseline,
        round((actual - baseline) / nullif(baseline, 0) * 100, 1) as change_from_baseline_pct
    from unioned
),
final as (
    select
        *,
        case status when 'met' then '达成' when 'missed' then '未达成' else '无数据' end as status_zh,
        case
            when status = 'met' then
                cast(target_year as varchar) || '年' || name_zh || '为' || fmt_num(actual) || unit || '，'
                || case when actual < target then '低于' else '等于' end
                || '规划目标' || fmt_num(target) || unit || '，达成。'
                || case when target_looser_than_baseline then
                       '但该目标高于' || cast(baseline_year as varchar) || '年的' || fmt_num(baseline) || unit || '，目标本身允许数字上升。'
                   else '' end
            when status = 'missed' then
                cast(target_year as varchar) || '年' || name_zh || '为' || fmt_num(actual) || unit || '，高于规划目标'
                || fmt_num(target) || unit || '，未达成。'
            when target is not null then
                '规划要求到' || cast(target_year as varchar) || '年' || name_zh || '累计下降' || fmt_num(reduction_pct)
                || '%，按' || cast(baseline_year as varchar) || '年基数' || fmt_num(baseline) || unit || '推算，目标约为'
                || fmt_num(target) || unit || '（基数为假定，见说明）；本数据包尚无' || cast(target_year as varchar) || '年实际数。'
            else
                '规划要求到' || cast(target_year as varchar) || '年' || name_zh || '累计下降' || fmt_num(reduction_pct)
                || '%；原文没有' || cast(baseline_year as varchar) || '年基数，无法推算目标水平，本数据包也尚无'
                || cast(target_year as varchar) || '年实际数。'
        end as summary_zh,
        case
            when status = 'met' then
                name_en || ' in ' || cast(target_year as varchar) || ': ' || fmt_num(actual) || ', '
                || case when actual < target then 'below' else 'equal to' end || ' the target of ' || fmt_num(target) || ': met.'
                || case when target_looser_than_baseline then
                       ' The target itself was above the ' || cast(baseline_year as varchar) || ' level of ' || fmt_num(baseline) || '.'
                   else '' end
            when status = 'missed' then
                name_en || ' in ' || cast(target_year as varchar) || ': ' || fmt_num(actual) || ', above the target of '
                || fmt_num(target) || ': missed.'
            when target is not null then
                'Target: ' || fmt_num(reduction_pct) || '% lower by ' || cast(target_year as varchar) || ', about '
                || fmt_num(target) || ' from the assumed ' || cast(baseline_year as varchar) || ' baseline of ' || fmt_num(baseline)
                || '; no ' || cast(target_year as varchar) || ' actual in this package yet.'
            else
                'Target: ' || fmt_num(reduction_pct) || '% lower by ' || cast(target_year as varchar)
                || '; the plan gives no baseline, so no target level can be derived; no actual yet.'
        end as summary_en
    from scored
)
select
    indicator_id, plan, table_no, table_row, name_zh, name_en, unit, direction,
    baseline_year, baseline, target_year, target, reduction_pct, actual,
    status, status_zh, gap_to_target, gap_pct, target_looser_than_baseline,
    change_from_baseline, change_from_baseline_pct, summary_zh, summary_en,
    assumption_zh, assumption_en, passage_id, quote
from final
order by indicator_id like 'fyp13-%', table_row
