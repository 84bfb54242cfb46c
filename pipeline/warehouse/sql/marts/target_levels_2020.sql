-- Target levels derived from cumulative reductions or increases: baseline × (1 ∓ percent).
-- (The name is historical: the table began with the 13th plan's 2020 levels; it now holds
-- every derived level of every plan.)  Read from indicator_status, which decides the baseline:
-- the series' own base-year figure, else the stated assumption in baseline_links, else none
-- (then the level stays NULL with the reason in assumption_zh).
with status as (select * from indicator_status where target_kind in ('reduction_pct', 'increase_pct')),
links as (select * from stg_baseline_links),
baseline_obs as (select observation_id, indicator_id from stg_observations),
final as (
    select
        s.indicator_id,
        s.name_zh,
        s.name_en,
        s.unit,
        s.reduction_pct,
        s.baseline_year as base_year,
        s.target_year,
        coalesce(b.indicator_id, l.baseline_indicator_id) as baseline_indicator_id,
        s.baseline as baseline_value,
        s.baseline_observation_id,
        s.target as target_level,
        s.target_low as target_level_low,
        s.target_high as target_level_high,
        case when s.baseline is null then null
             else fmt_num(s.baseline) || ' × (1 ' || case s.target_kind when 'reduction_pct' then '−' else '+' end || ' '
                  || fmt_num(s.reduction_pct) || '%) = ' || fmt_num(s.target)
                  || case when s.target_low <> s.target_high
                          then '（基数按写法为' || fmt_num(s.baseline_low) || '至' || fmt_num(s.baseline_high)
                               || '，目标为' || fmt_num(s.target_low) || '至' || fmt_num(s.target_high) || '）' else '' end
        end as derivation,
        s.baseline_method,
        l.name_match,
        coalesce(s.assumption_zh, case when s.baseline_method = 'series' then '基数取自本序列自己的基期数值，不需要假定。' end) as assumption_zh,
        coalesce(s.assumption_en, case when s.baseline_method = 'series' then 'The baseline is the series'' own base-year figure; no assumption needed.' end) as assumption_en,
        s.target_id as reduction_observation_id,
        s.passage_id,
        s.quote
    from status s
    left join links l using (indicator_id)
    left join baseline_obs b on b.observation_id = s.baseline_observation_id
)
select * from final order by indicator_id, target_year
