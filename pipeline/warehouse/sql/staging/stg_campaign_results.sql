select
    cast(year as integer) as year,
    measure_id,
    cast(seq as integer) as seq,
    campaign_zh,
    measure_zh,
    measure_en,
    cast(value as double) as value,
    unit,
    unit_en,
    value_as_written,
    try_cast(nullif(amount_yuan, '') as bigint) as amount_yuan,
    passage_id,
    quote
from raw.campaign_results
