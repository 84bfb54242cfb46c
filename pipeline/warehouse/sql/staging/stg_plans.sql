-- The plan periods; page is where the site shows each (published pages keep their URL).
select
    plan_id,
    name_zh,
    name_en,
    cast(start_year as integer) as start_year,
    cast(end_year as integer) as end_year,
    try_cast(nullif(base_year, '') as integer) as base_year,
    nullif(base_year_note, '') as base_year_note,
    lower(years_assumed) in ('true', '1') as years_assumed,
    source_id,
    coalesce(nullif(page, ''), 'plans/' || plan_id) as page,
    nullif(note_zh, '') as note_zh,
    nullif(note_en, '') as note_en
from raw.plans
