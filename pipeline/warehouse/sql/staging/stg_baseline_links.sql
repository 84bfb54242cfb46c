select
    indicator_id,
    nullif(baseline_indicator_id, '') as baseline_indicator_id,
    cast(baseline_year as integer) as baseline_year,
    name_match,
    assumption_zh,
    assumption_en
from raw.baseline_links
