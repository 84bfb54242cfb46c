-- Was each target of both plans met, and by how much?  One row per indicator with a target.
-- 12th plan: baseline = 2010 actual, target = 2015 target (十二五期末规划数), actual = 2015 actual.
-- 13th plan: baseline = 2015 actual via baseline_links (a stated assumption), target = derived
-- 2020 level, actual = none in the source, so the status is no_data.
--
-- Two rules hold for every derived column:
-- * direction decides what "better" means; the words compare the numbers (低于/等于/高于)
--   and the status says met or missed, so a higher-is-better indicator reads right too;
-- * a value that cannot be computed is NULL, never a default, and null_reasons_zh/_en say
--   why, column by column ("gap_pct：目标为0，无法计算百分比").
with indicators as (select * from stg_indicators),
obs as (select * from stg_observations),
levels as (select * from target_levels_2020),
fyp12 as (
    select
        i.indicator_id, i.plan, i.table_no, i.table_row, i.name_zh, i.name_en, i.unit, i.direction,
        -- the baseline year is the one table 1 names, whether or not it has a value
        2010 as baseline_year, b.value as baseline,
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
        -- the numbers compared, whatever the direction: below / equal / above the target
        case
            when actual is null or target is null then null
            when actual < target then 'below'
            when actual = target then 'equal'
            else 'above'
        end as actual_vs_target,
        round(actual - target, 6) as gap_to_target,
        round((actual - target) / nullif(target, 0) * 100, 1) as gap_pct,
        -- a target on the worse side of its own baseline asked for things to get worse;
        -- without a baseline or a target there is nothing to compare: NULL, not false
        case
            when target is null or baseline is null then null
            when direction = 'lower_is_better' then target > baseline
            when direction = 'higher_is_better' then target < baseline
        end as target_looser_than_baseline,
        round(actual - baseline, 6) as change_from_baseline,
        round((actual - baseline) / nullif(baseline, 0) * 100, 1) as change_from_baseline_pct
    from unioned
),
worded as (
    select
        *,
        case actual_vs_target when 'below' then '低于' when 'equal' then '等于' when 'above' then '高于' end as vs_zh,
        case actual_vs_target when 'below' then 'below' when 'equal' then 'equal to' when 'above' then 'above' end as vs_en,
        case direction when 'lower_is_better' then '上升' else '下降' end as worse_zh,
        case direction when 'lower_is_better' then 'rise' else 'fall' end as worse_en,
        case direction when 'lower_is_better' then '高于' else '低于' end as looser_side_zh,
        case direction when 'lower_is_better' then 'above' else 'below' end as looser_side_en
    from scored
),
final as (
    select
        *,
        case status when 'met' then '达成' when 'missed' then '未达成' else '无数据' end as status_zh,
        case
            when status in ('met', 'missed') then
                cast(target_year as varchar) || '年' || name_zh || '为' || fmt_num(actual) || unit || '，'
                || vs_zh || '规划目标' || fmt_num(target) || unit || '，'
                || case status when 'met' then '达成。' else '未达成。' end
                || case when target_looser_than_baseline then
                       '但该目标' || looser_side_zh || cast(baseline_year as varchar) || '年的' || fmt_num(baseline) || unit
                       || '，目标本身允许数字' || worse_zh || '。'
                   else '' end
            when target is not null then
                -- table 2 names neither a base year nor a target year: both are assumed (see the note)
                '规划要求' || name_zh || '累计下降' || fmt_num(reduction_pct)
                || '%（目标年' || cast(target_year as varchar) || '年、基期' || cast(baseline_year as varchar)
                || '年都是按五年规划惯例的推定），按' || cast(baseline_year as varchar) || '年基数' || fmt_num(baseline) || unit
                || '推算，目标约为' || fmt_num(target) || unit || '（基数为假定，见说明）；本数据包尚无'
                || cast(target_year as varchar) || '年实际数。'
            when reduction_pct is not null then
                '规划要求' || name_zh || '累计下降' || fmt_num(reduction_pct)
                || '%（目标年' || cast(target_year as varchar) || '年、基期' || cast(baseline_year as varchar)
                || '年都是按五年规划惯例的推定）；原文没有' || cast(baseline_year as varchar) || '年基数，无法推算目标水平，本数据包也尚无'
                || cast(target_year as varchar) || '年实际数。'
            else
                '本数据包没有' || cast(target_year as varchar) || '年' || name_zh || '的实际数或目标，无法判断。'
        end as summary_zh,
        case
            when status in ('met', 'missed') then
                name_en || ' in ' || cast(target_year as varchar) || ': ' || fmt_num(actual) || ', '
                || vs_en || ' the target of ' || fmt_num(target) || ': ' || status || '.'
                || case when target_looser_than_baseline then
                       ' The target itself was ' || looser_side_en || ' the ' || cast(baseline_year as varchar)
                       || ' level of ' || fmt_num(baseline) || ': it allowed the figure to ' || worse_en || '.'
                   else '' end
            when target is not null then
                'The plan requires a cumulative ' || fmt_num(reduction_pct) || '% reduction (target year '
                || cast(target_year as varchar) || ' and base year ' || cast(baseline_year as varchar)
                || ' both assumed from five-year-plan convention); from the assumed ' || cast(baseline_year as varchar) || ' baseline of ' || fmt_num(baseline)
                || ', the target is about ' || fmt_num(target) || ' (the baseline is an assumption; see the note); no '
                || cast(target_year as varchar) || ' actual in this package yet.'
            when reduction_pct is not null then
                'The plan requires a cumulative ' || fmt_num(reduction_pct) || '% reduction (target year '
                || cast(target_year as varchar) || ', assumed); the plan gives no ' || cast(baseline_year as varchar) || ' baseline, so no target level can be derived; no '
                || cast(target_year as varchar) || ' actual in this package yet.'
            else
                'This package has no ' || cast(target_year as varchar) || ' actual or no target: it cannot be judged.'
        end as summary_en,
        -- why each empty derived column is empty (concat_ws skips the NULL parts)
        nullif(concat_ws('；',
            case when baseline is null then 'baseline：原文没有' || cast(baseline_year as varchar) || '年基数' end,
            case when target is null then 'target：没有基数，无法推算目标水平' end,
            case when actual is null then 'actual：本数据包没有' || cast(target_year as varchar) || '年实际数' end,
            case when reduction_pct is null then 'reduction_pct：该目标不是累计降幅，不适用' end,
            case when actual is null or target is null then 'gap_to_target、gap_pct、actual_vs_target：缺少实际数或目标，无法计算'
                 when target = 0 then 'gap_pct：目标为0，无法计算百分比' end,
            case when target is null or baseline is null then 'target_looser_than_baseline：缺少基数或目标，不适用' end,
            case when actual is null or baseline is null then 'change_from_baseline、change_from_baseline_pct：缺少实际数或基数，无法计算'
                 when baseline = 0 then 'change_from_baseline_pct：基数为0，无法计算百分比' end
        ), '') as null_reasons_zh,
        nullif(concat_ws('; ',
            case when baseline is null then 'baseline: the source gives no ' || cast(baseline_year as varchar) || ' value' end,
            case when target is null then 'target: no baseline, so no target level can be derived' end,
            case when actual is null then 'actual: no ' || cast(target_year as varchar) || ' actual in this package' end,
            case when reduction_pct is null then 'reduction_pct: not a cumulative-reduction target' end,
            case when actual is null or target is null then 'gap_to_target, gap_pct, actual_vs_target: no actual or no target to compare'
                 when target = 0 then 'gap_pct: the target is 0, no percentage' end,
            case when target is null or baseline is null then 'target_looser_than_baseline: no baseline or no target to compare' end,
            case when actual is null or baseline is null then 'change_from_baseline, change_from_baseline_pct: no actual or no baseline'
                 when baseline = 0 then 'change_from_baseline_pct: the baseline is 0, no percentage' end
        ), '') as null_reasons_en
    from worded
)
select
    indicator_id, plan, table_no, table_row, name_zh, name_en, unit, direction,
    baseline_year, baseline, target_year, target, reduction_pct, actual,
    status, status_zh, actual_vs_target, gap_to_target, gap_pct, target_looser_than_baseline,
    change_from_baseline, change_from_baseline_pct, summary_zh, summary_en,
    assumption_zh, assumption_en, null_reasons_zh, null_reasons_en, passage_id, quote
from final
order by indicator_id like 'fyp13-%', table_row
