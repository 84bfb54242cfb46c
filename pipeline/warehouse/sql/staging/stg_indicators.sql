select
    indicator_id,
    plan,
    try_cast(nullif(table_no, '') as integer) as table_no,
    try_cast(nullif(table_row, '') as integer) as table_row,
    name_zh,
    name_en,
    unit,
    unit_en,
    direction,
    period_kind,
    series_id,
    passage_id,
    definition_zh,
    definition_en
from raw.indicators
