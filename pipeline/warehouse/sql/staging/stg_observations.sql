select
    observation_id,
    indicator_id,
    kind,
    cast(period_start as integer) as period_start,
    cast(period_end as integer) as period_end,
    try_cast(nullif(base_year, '') as integer) as base_year,
    cast(value as double) as value,
    value_as_written,
    unit,
    source_id,
    passage_id,
    nullif(table_column, '') as table_column,
    quote,
    nullif(corroborating_passage_id, '') as corroborating_passage_id,
    nullif(corroborating_quote, '') as corroborating_quote,
    nullif(note_zh, '') as note_zh,
    nullif(note_en, '') as note_en
from raw.observations
