-- Every actual (or base-year) figure of every indicator, from every source, by year: the
-- time series the pages draw and the judgments read.  Where several sources give the same
-- series and period (a bulletin's preliminary figure, a later revision), each is a row, and
-- is_latest marks the one from the most recently dated source: the one judgments use.
with obs as (select * from stg_observations),
indicators as (select * from stg_indicators),
sources as (select * from stg_sources),
vals as (
    select
        o.observation_id, o.indicator_id, i.series_id, i.plan, i.name_zh, i.unit as indicator_unit, i.direction,
        i.period_kind, o.kind, o.period_start, o.period_end, o.value, o.value_as_written, o.unit,
        half_width(o.value_as_written, o.unit) as half_width,
        o.source_id, s.title as source_title, s.kind as source_kind, s."date" as source_date,
        o.passage_id, o.quote
    from obs o
    join indicators i using (indicator_id)
    join sources s using (source_id)
    where o.kind in ('actual', 'baseline')
),
final as (
    select
        *,
        round(value - half_width, 9) as value_low,
        round(value + half_width, 9) as value_high,
        -- the latest-dated source wins; an undated source ranks below a dated one, then by id
        row_number() over (partition by series_id, period_start, period_end
                           order by source_date desc nulls last, kind = 'actual' desc, source_id) = 1 as is_latest,
        count(*) over (partition by series_id, period_start, period_end) as sources_for_period,
        min(value) over (partition by series_id, period_start, period_end)
            <> max(value) over (partition by series_id, period_start, period_end) as sources_disagree
    from vals
)
select
    series_id, indicator_id, plan, name_zh, period_kind, kind, period_start, period_end, value, value_as_written, unit,
    value_low, value_high, is_latest, sources_for_period, sources_disagree, source_id, source_title, source_kind,
    source_date, observation_id, passage_id, quote
from final
order by series_id, period_end, period_start, is_latest desc, source_date desc nulls last, source_id
