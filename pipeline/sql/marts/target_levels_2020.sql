-- 2020 target levels for the 13th plan: 2015 baseline x (1 - cumulative reduction).
-- The baseline comes from table 1 only through the explicit, documented links in
-- baseline_links; where there is no link the level stays NULL with the reason.
with indicators as (select * from stg_indicators where plan = '十三五'),
reductions as (select * from stg_observations where kind = 'cumulative_reduction_target'),
links as (select * from stg_baseline_links),
baselines as (select * from stg_observations where kind = 'actual'),
final as (
    select
        i.indicator_id,
        i.name_zh,
        i.name_en,
        i.unit,
        r.value as reduction_pct,
        r.base_year,
        r.period_end as target_year,
        l.baseline_indicator_id,
        b.value as baseline_value,
        b.observation_id as baseline_observation_id,
        -- rounded to 6 places: the inputs have at most 2 decimals, so this only removes binary noise
        round(b.value * (1 - r.value / 100), 6) as target_level,
        case when b.value is null then null
             else fmt_num(b.value) || ' × (1 − ' || fmt_num(r.value) || '%) = ' || fmt_num(round(b.value * (1 - r.value / 100), 6))
        end as derivation,
        l.name_match,
        l.assumption_zh,
        l.assumption_en,
        r.observation_id as reduction_observation_id,
        r.passage_id,
        r.quote
    from indicators i
    join reductions r using (indicator_id)
    left join links l using (indicator_id)
    left join baselines b
        on b.indicator_id = l.baseline_indicator_id
        and b.period_start = l.baseline_year
        and b.period_end = l.baseline_year
)
select * from final order by indicator_id
