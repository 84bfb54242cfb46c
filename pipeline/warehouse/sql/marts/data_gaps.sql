-- What is missing to judge each target, said plainly: one row per target that is no_data or
-- indeterminate, with the figure that would decide it and the documents that usually publish one.
with status as (select * from indicator_status where status in ('no_data', 'indeterminate')),
final as (
    select
        target_id, indicator_id, plan, plan_id, name_zh, name_en, unit, target_year, baseline_year, status, status_zh,
        case
            when target is null then 'baseline'
            when actual is null then 'actual'
            when actual >= target_low and actual <= target_high then 'baseline_precision'
            else 'actual_precision'
        end as missing,
        -- decimals an actual needs so that its written range clears the target range
        case when status = 'indeterminate' and not (actual >= target_low and actual <= target_high) then
            cast(ceil(-log10(2 * least(abs(actual - target_low), abs(actual - target_high)))) as integer) end as decimals_needed,
        actual, actual_low, actual_high, target, target_low, target_high
    from status
),
worded as (
    select
        *,
        case missing
            when 'baseline' then cast(baseline_year as varchar) || '年' || name_zh || '的数值（基数，才能推算目标水平）'
                || case when actual is null then '，以及' || cast(target_year as varchar) || '年的实际数' else '' end
            when 'actual' then cast(target_year as varchar) || '年' || name_zh || '的实际数'
            when 'baseline_precision' then '更精确的' || cast(baseline_year as varchar) || '年基数：现有写法使目标成为'
                || fmt_num(target_low) || '至' || fmt_num(target_high) || '的范围，实际数' || fmt_num(actual) || '落在其中'
            else '更精确的' || cast(target_year as varchar) || '年实际数：至少写到' || cast(decimals_needed as varchar)
                || '位小数（现有写法代表' || fmt_num(actual_low) || '至' || fmt_num(actual_high) || '，与目标'
                || fmt_num(target_low) || '至' || fmt_num(target_high) || '重叠）'
        end as needed_zh,
        case missing
            when 'baseline' then 'The ' || cast(baseline_year as varchar) || ' value (baseline, to derive the target level)'
                || case when actual is null then ', and the ' || cast(target_year as varchar) || ' actual' else '' end
            when 'actual' then 'The ' || cast(target_year as varchar) || ' actual'
            when 'baseline_precision' then 'A more precise ' || cast(baseline_year as varchar) || ' baseline: as written, the target is a range containing the actual'
            else 'A more precise ' || cast(target_year as varchar) || ' actual, to at least ' || cast(decimals_needed as varchar) || ' decimals'
        end as needed_en,
        -- how precise the deciding figure must be written: a value stands for ± half its last digit
        case
            when target is null then '有了基数才能推算目标；基数写到几位，推算的目标就有多精确（0.06代表0.055至0.065）。'
            when target_low = target_high then '目标是精确的（' || fmt_num(target) || '）：实际数按写法代表的范围（0.6代表0.55至0.65；人数、起数是精确的）不跨过它，就能判断。'
            else '目标按基数的写法代表' || fmt_num(target_low) || '至' || fmt_num(target_high)
                 || '：实际数按写法代表的范围（写到两位小数的0.04代表0.035至0.045）要完全落在这个范围的一侧，才能判断。'
        end as precision_zh,
        case
            when target is null then 'The target needs a baseline first; the baseline''s written precision carries into the target (0.06 stands for 0.055 to 0.065).'
            when target_low = target_high then 'The target is exact (' || fmt_num(target) || '): the actual decides it if the range its writing stands for (0.6: 0.55 to 0.65; counts are exact) does not straddle it.'
            else 'As its baseline is written, the target stands for ' || fmt_num(target_low) || ' to ' || fmt_num(target_high)
                 || ': the actual''s written range (0.04 to two decimals: 0.035 to 0.045) must lie wholly on one side of it.'
        end as precision_en,
        case missing
            when 'baseline' then '该年的统计公报（国民经济和社会发展统计公报）中的安全生产段落；应急管理局的年度工作总结；下一个规划给出的基期数'
            when 'actual' then '目标年的统计公报中的安全生产段落；应急管理局的年度工作总结；政府工作报告；规划的终期评估报告'
            else '应急管理局或统计局公布的更精确的数字（例如年度统计资料、评估报告中的原始数）'
        end as usual_sources_zh,
        case missing
            when 'baseline' then 'That year''s statistical bulletin (work-safety paragraph); the emergency management bureau''s annual summary; the next plan''s stated base-year figure'
            when 'actual' then 'The target year''s statistical bulletin; the bureau''s annual summary; the government work report; the plan''s final evaluation'
            else 'A more precise figure published by the bureau or the statistics office (yearbooks, evaluation reports)'
        end as usual_sources_en
    from final
)
select * from worded order by plan_id, target_year, indicator_id
