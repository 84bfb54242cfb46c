-- Was each target of every plan met, and by how much?  One row per target (an observation of
-- kind target, cumulative_reduction_target or cumulative_increase_target).  No plan, year or
-- table is named here: plans, base years and series come from the data.
--
-- * Baseline: the series' own base-year figure where any source gives one (the latest-dated
--   source); a stated assumption link (baseline_links) only where none does.
-- * Target level: as written for a level target; baseline × (1 ∓ percent) for a cumulative
--   reduction or increase, with the range the baseline's written precision stands for.
-- * Status, with precision as part of every figure (macros.sql): met when the whole actual
--   range is on the good side of the target range, missed when wholly on the bad side,
--   indeterminate when the written precision cannot decide, no_data without an actual for the
--   target year or without a target level.
-- * Progress: Open SDG's growth-rate measure (sdg-build ProgressMeasure.py, Statistics Canada's
--   method): observed compound annual growth since the base year over the growth the target
--   requires, signed by direction; every input is a column.  Unlike sdg-build, a base or current
--   value of 0 is not replaced by 0.001: the score is NULL and null_reasons says why.
-- * Words compare the numbers (低于/等于/高于) and the status says met or missed, so a
--   higher-is-better indicator reads right too; what cannot be computed is NULL with a reason.
with observations as (select * from stg_observations),
indicators as (select * from stg_indicators),
plans as (select * from stg_plans),
sources as (select * from stg_sources),
links as (select * from stg_baseline_links),
latest as (select * from series where is_latest and period_start = period_end),
targets as (
    select
        o.observation_id as target_id, o.indicator_id, i.series_id, i.plan, p.plan_id, p.years_assumed,
        i.table_no, i.table_row, i.name_zh, i.name_en, i.unit, i.direction,
        case o.kind when 'target' then 'level' when 'cumulative_reduction_target' then 'reduction_pct'
                    else 'increase_pct' end as target_kind,
        o.value as target_value, o.value_as_written as target_as_written,
        o.period_end as target_year, coalesce(o.base_year, p.base_year) as baseline_year,
        o.source_id as target_source_id, o.passage_id, o.quote
    from observations o
    join indicators i using (indicator_id)
    join plans p on p.name_zh = i.plan
    where o.kind in ('target', 'cumulative_reduction_target', 'cumulative_increase_target')
),
own_baseline as (
    select t.target_id, s.value, s.value_low, s.value_high, s.source_id, s.observation_id
    from targets t
    join latest s on s.series_id = t.series_id and s.period_end = t.baseline_year
),
linked_baseline as (
    select t.target_id, s.value, s.value_low, s.value_high, s.source_id, s.observation_id
    from targets t
    join links l using (indicator_id)
    join indicators li on li.indicator_id = l.baseline_indicator_id
    join latest s on s.series_id = li.series_id and s.period_end = l.baseline_year
),
based as (
    select
        t.*,
        coalesce(ob.value, lb.value) as baseline,
        coalesce(ob.value_low, lb.value_low) as baseline_low,
        coalesce(ob.value_high, lb.value_high) as baseline_high,
        coalesce(ob.source_id, lb.source_id) as baseline_source_id,
        coalesce(ob.observation_id, lb.observation_id) as baseline_observation_id,
        case when ob.value is not null then 'series' when lb.value is not null then 'assumption_link' end as baseline_method,
        case when ob.value is null then l.assumption_zh end as assumption_zh,
        case when ob.value is null then l.assumption_en end as assumption_en
    from targets t
    left join own_baseline ob using (target_id)
    left join linked_baseline lb using (target_id)
    left join links l using (indicator_id)
),
leveled as (
    select
        *,
        case target_kind when 'level' then 1 when 'reduction_pct' then 1 - target_value / 100
                         else 1 + target_value / 100 end as factor,
        case when target_kind = 'level' then null else target_value end as reduction_pct_or_increase
    from based
),
targeted as (
    select
        *,
        case when target_kind = 'level' then target_value else round(baseline * factor, 6) end as target,
        case when target_kind = 'level' then target_value else round(baseline_low * factor, 9) end as target_low,
        case when target_kind = 'level' then target_value else round(baseline_high * factor, 9) end as target_high
    from leveled
),
actual as (
    select t.target_id, s.value, s.value_low, s.value_high, s.source_id, s.observation_id, s.period_end as year,
           s.sources_disagree
    from targets t
    join latest s on s.series_id = t.series_id and s.period_end = t.target_year
),
progress_point as (
    -- the latest figure after the base year and before the target year: progress says how a
    -- target is going while it is open; from the target year on, the status decides it
    -- (a missed target is never also "on track")
    select target_id, value, year, source_id from (
        select t.target_id, s.value, s.period_end as year, s.source_id,
               row_number() over (partition by t.target_id order by s.period_end desc) as n
        from targets t
        join latest s on s.series_id = t.series_id and s.period_end > t.baseline_year and s.period_end < t.target_year
    ) where n = 1
),
joined as (
    select
        t.*,
        a.value as actual, a.value_low as actual_low, a.value_high as actual_high, a.year as actual_year,
        a.source_id as actual_source_id, a.observation_id as actual_observation_id, a.sources_disagree,
        pp.value as progress_value, pp.year as progress_year, pp.source_id as progress_source_id,
        case when t.direction = 'higher_is_better' then 1 else -1 end as dir
    from targeted t
    left join actual a using (target_id)
    left join progress_point pp using (target_id)
),
scored as (
    select
        *,
        case
            when actual is null or target is null then 'no_data'
            when direction = 'lower_is_better' and actual_high <= target_low then 'met'
            when direction = 'lower_is_better' and actual_low > target_high then 'missed'
            when direction = 'higher_is_better' and actual_low >= target_high then 'met'
            when direction = 'higher_is_better' and actual_high < target_low then 'missed'
            else 'indeterminate'
        end as status,
        case
            when actual is null or target is null then null
            when actual < target then 'below'
            when actual = target then 'equal'
            else 'above'
        end as actual_vs_target,
        round(actual - target, 6) as gap_to_target,
        round((actual - target) / nullif(target, 0) * 100, 1) as gap_pct,
        case
            when target is null or baseline is null then null
            when direction = 'lower_is_better' then target > baseline
            when direction = 'higher_is_better' then target < baseline
        end as target_looser_than_baseline,
        round(actual - baseline, 6) as change_from_baseline,
        round((actual - baseline) / nullif(baseline, 0) * 100, 1) as change_from_baseline_pct,
        -- Open SDG: CAGR observed / |CAGR required|, signed by direction
        case when baseline > 0 and progress_value > 0 and progress_year > baseline_year
             then pow(progress_value / baseline, 1.0 / (progress_year - baseline_year)) - 1 end as progress_cagr_observed,
        case when baseline > 0 and target > 0 and target_year > baseline_year
             then pow(target / baseline, 1.0 / (target_year - baseline_year)) - 1 end as progress_cagr_required
    from joined
),
progressed as (
    select
        *,
        round(dir * progress_cagr_observed / nullif(abs(progress_cagr_required), 0), 4) as progress_ratio,
        case
            when progress_value is null or target is null then null
            when (dir = -1 and progress_value <= target) or (dir = 1 and progress_value >= target) then 'target_achieved'
            when progress_cagr_observed is null or nullif(progress_cagr_required, 0) is null then null
            when dir * progress_cagr_observed / abs(progress_cagr_required) >= 0.95 then 'substantial_progress'
            when dir * progress_cagr_observed / abs(progress_cagr_required) >= 0.6 then 'moderate_progress'
            when dir * progress_cagr_observed / abs(progress_cagr_required) >= 0 then 'limited_progress'
            else 'deterioration'
        end as progress
    from scored
),
worded as (
    select
        p.*,
        s.title as actual_source_title,
        case actual_vs_target when 'below' then '低于' when 'equal' then '等于' when 'above' then '高于' end as vs_zh,
        case actual_vs_target when 'below' then 'below' when 'equal' then 'equal to' when 'above' then 'above' end as vs_en,
        case direction when 'lower_is_better' then '上升' else '下降' end as worse_zh,
        case direction when 'lower_is_better' then 'rise' else 'fall' end as worse_en,
        case direction when 'lower_is_better' then '高于' else '低于' end as looser_side_zh,
        case direction when 'lower_is_better' then 'above' else 'below' end as looser_side_en,
        -- where the actual comes from a source other than the one that set the target, say which
        case when p.actual_source_id is not null and p.actual_source_id <> p.target_source_id
             then '（据《' || s.title || '》）' else '' end as from_zh,
        case when p.actual_source_id is not null and p.actual_source_id <> p.target_source_id
             then ' (per ' || p.actual_source_id || ')' else '' end as from_en,
        case when p.target_kind = 'level' then fmt_num(p.target)
             else '约' || fmt_num(p.target) || case when p.target_low <> p.target_high
                 then '（' || fmt_num(p.target_low) || '至' || fmt_num(p.target_high) || '）' else '' end end as target_words_zh,
        case when p.target_kind = 'level' then fmt_num(p.target)
             else 'about ' || fmt_num(p.target) || case when p.target_low <> p.target_high
                 then ' (' || fmt_num(p.target_low) || ' to ' || fmt_num(p.target_high) || ')' else '' end end as target_words_en,
        case p.target_kind when 'reduction_pct' then '累计下降' when 'increase_pct' then '累计上升' end as change_zh,
        case p.target_kind when 'reduction_pct' then 'reduction' when 'increase_pct' then 'increase' end as change_en
    from progressed p
    left join sources s on s.source_id = p.actual_source_id
),
final as (
    select
        *,
        case status when 'met' then '达成' when 'missed' then '未达成' when 'indeterminate' then '无法判断' else '无数据' end as status_zh,
        case progress when 'target_achieved' then '已达到目标' when 'substantial_progress' then '按进度'
                      when 'moderate_progress' then '有进展，需加快' when 'limited_progress' then '进展有限'
                      when 'deterioration' then '倒退' end as progress_zh,
        case
            when status in ('met', 'missed') then
                cast(actual_year as varchar) || '年' || name_zh || '为' || fmt_num(actual) || unit || from_zh || '，'
                || vs_zh || '规划目标' || target_words_zh || unit || '，'
                || case status when 'met' then '达成。' else '未达成。' end
                || case when target_looser_than_baseline then
                       '但该目标' || looser_side_zh || cast(baseline_year as varchar) || '年的' || fmt_num(baseline) || unit
                       || '，目标本身允许数字' || worse_zh || '。'
                   else '' end
            when status = 'indeterminate' then
                cast(actual_year as varchar) || '年' || name_zh || '为' || fmt_num(actual) || unit || from_zh
                || case when actual_low <> actual_high then '（按写法代表' || fmt_num(actual_low) || '至' || fmt_num(actual_high) || '）' else '' end
                || '，规划目标' || target_words_zh || unit || '：按原文写法的精度，无法判断是否达成。'
            when target is not null and target_kind <> 'level' then
                '规划要求' || name_zh || change_zh || fmt_num(target_value) || '%'
                || case when years_assumed then '（目标年' || cast(target_year as varchar) || '年、基期' || cast(baseline_year as varchar)
                        || '年都是按五年规划惯例的推定）' else '' end
                || '，按' || cast(baseline_year as varchar) || '年基数' || fmt_num(baseline) || unit || '推算，目标' || target_words_zh || unit
                || case when baseline_method = 'assumption_link' then '（基数为假定，见说明）' else '' end
                || '；本数据包尚无' || cast(target_year as varchar) || '年实际数。'
            when target is not null then
                '规划目标为' || cast(target_year as varchar) || '年' || name_zh || target_words_zh || unit
                || '；本数据包尚无' || cast(target_year as varchar) || '年实际数。'
            else
                '规划要求' || name_zh || change_zh || fmt_num(target_value) || '%'
                || case when years_assumed then '（目标年' || cast(target_year as varchar) || '年、基期' || cast(baseline_year as varchar)
                        || '年都是按五年规划惯例的推定）' else '' end
                || '；原文没有' || cast(baseline_year as varchar) || '年基数，无法推算目标水平，本数据包也尚无'
                || cast(target_year as varchar) || '年实际数。'
        end as summary_zh,
        case
            when status in ('met', 'missed') then
                name_en || ' in ' || cast(actual_year as varchar) || ': ' || fmt_num(actual) || from_en || ', '
                || vs_en || ' the target of ' || target_words_en || ': ' || status || '.'
                || case when target_looser_than_baseline then
                       ' The target itself was ' || looser_side_en || ' the ' || cast(baseline_year as varchar)
                       || ' level of ' || fmt_num(baseline) || ': it allowed the figure to ' || worse_en || '.'
                   else '' end
            when status = 'indeterminate' then
                name_en || ' in ' || cast(actual_year as varchar) || ': ' || fmt_num(actual) || from_en
                || case when actual_low <> actual_high then ' (as written, ' || fmt_num(actual_low) || ' to ' || fmt_num(actual_high) || ')' else '' end
                || '; target ' || target_words_en || ': the written precision cannot decide.'
            when target is not null and target_kind <> 'level' then
                'The plan requires a cumulative ' || fmt_num(target_value) || '% ' || change_en
                || case when years_assumed then ' (target year ' || cast(target_year as varchar) || ' and base year '
                        || cast(baseline_year as varchar) || ' both assumed from five-year-plan convention)' else '' end
                || '; from the ' || case when baseline_method = 'assumption_link' then 'assumed ' else '' end
                || cast(baseline_year as varchar) || ' baseline of ' || fmt_num(baseline)
                || ', the target is ' || target_words_en || '; no ' || cast(target_year as varchar) || ' actual in this package yet.'
            when target is not null then
                'Target for ' || cast(target_year as varchar) || ': ' || target_words_en || '; no '
                || cast(target_year as varchar) || ' actual in this package yet.'
            else
                'The plan requires a cumulative ' || fmt_num(target_value) || '% ' || change_en
                || case when years_assumed then ' (target year ' || cast(target_year as varchar) || ', assumed)' else '' end
                || '; the plan gives no ' || cast(baseline_year as varchar) || ' baseline, so no target level can be derived; no '
                || cast(target_year as varchar) || ' actual in this package yet.'
        end as summary_en,
        -- why each empty derived column is empty (concat_ws skips the NULL parts)
        nullif(concat_ws('；',
            case when baseline is null then 'baseline：没有来源给出' || cast(baseline_year as varchar) || '年基数' end,
            case when target is null then 'target、target_low、target_high：没有基数，无法推算目标水平' end,
            case when actual is null then 'actual：本数据包没有' || cast(target_year as varchar) || '年实际数' end,
            case when target_kind = 'level' then 'reduction_pct：该目标不是累计降幅或增幅，不适用' end,
            case when actual is null or target is null then 'gap_to_target、gap_pct、actual_vs_target：缺少实际数或目标，无法计算'
                 when target = 0 then 'gap_pct：目标为0，无法计算百分比' end,
            case when target is null or baseline is null then 'target_looser_than_baseline：缺少基数或目标，不适用' end,
            case when actual is null or baseline is null then 'change_from_baseline、change_from_baseline_pct：缺少实际数或基数，无法计算'
                 when baseline = 0 then 'change_from_baseline_pct：基数为0，无法计算百分比' end,
            case when progress is null and progress_value is null then 'progress、progress_ratio：基期之后、目标年之前还没有数值（到了目标年由状态判断）'
                 when progress is null and (baseline is null or target is null) then 'progress、progress_ratio：缺少基数或目标'
                 when progress is null then 'progress、progress_ratio：基数、目标或最新数值为0或负数，增长率无法计算（不按 sdg-build 的做法代以0.001）'
                 when progress_ratio is null and progress = 'target_achieved' then 'progress_ratio：已达到目标，不再计算比率'
                 when progress_ratio is null then 'progress_ratio：基数、目标或最新数值为0，无法计算' end
        ), '') as null_reasons_zh,
        nullif(concat_ws('; ',
            case when baseline is null then 'baseline: no source gives a ' || cast(baseline_year as varchar) || ' value' end,
            case when target is null then 'target, target_low, target_high: no baseline, so no target level can be derived' end,
            case when actual is null then 'actual: no ' || cast(target_year as varchar) || ' actual in this package' end,
            case when target_kind = 'level' then 'reduction_pct: not a cumulative reduction or increase target' end,
            case when actual is null or target is null then 'gap_to_target, gap_pct, actual_vs_target: no actual or no target to compare'
                 when target = 0 then 'gap_pct: the target is 0, no percentage' end,
            case when target is null or baseline is null then 'target_looser_than_baseline: no baseline or no target to compare' end,
            case when actual is null or baseline is null then 'change_from_baseline, change_from_baseline_pct: no actual or no baseline'
                 when baseline = 0 then 'change_from_baseline_pct: the baseline is 0, no percentage' end,
            case when progress is null and progress_value is null then 'progress, progress_ratio: no figure between the base year and the target year (from the target year on, the status decides)'
                 when progress is null and (baseline is null or target is null) then 'progress, progress_ratio: no baseline or no target'
                 when progress is null then 'progress, progress_ratio: a zero or negative value makes the growth rate undefined (not replaced by 0.001 as sdg-build does)'
                 when progress_ratio is null and progress = 'target_achieved' then 'progress_ratio: target already achieved'
                 when progress_ratio is null then 'progress_ratio: a zero value makes it undefined' end
        ), '') as null_reasons_en
    from worded
)
select
    target_id, indicator_id, series_id, plan, plan_id, table_no, table_row, name_zh, name_en, unit, direction,
    target_kind, target_as_written, baseline_year, baseline, baseline_low, baseline_high, baseline_method,
    baseline_source_id, baseline_observation_id, target_year, target, target_low, target_high,
    reduction_pct_or_increase as reduction_pct, actual, actual_low, actual_high, actual_year, actual_source_id,
    actual_observation_id, sources_disagree, status, status_zh, actual_vs_target, gap_to_target, gap_pct,
    target_looser_than_baseline, change_from_baseline, change_from_baseline_pct,
    progress_year, progress_value, progress_source_id, progress_cagr_observed, progress_cagr_required, progress_ratio,
    progress, progress_zh, summary_zh, summary_en, assumption_zh, assumption_en, null_reasons_zh, null_reasons_en,
    target_source_id, passage_id, quote
from final
-- plans in time order (a plan's id says nothing of its years), then as the source lists them
order by (select start_year from plans p where p.plan_id = final.plan_id), plan_id, table_no nulls last,
         table_row nulls last, indicator_id, target_year
