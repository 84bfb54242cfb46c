-- One row per citable passage of every source (see pipeline/source.py for the id scheme).
select
    passage_id,
    source_id,
    cast(seq as integer) as seq,
    kind,
    try_cast(nullif(chapter, '') as integer) as chapter,
    try_cast(nullif(section, '') as integer) as section,
    try_cast(nullif(item, '') as integer) as item,
    try_cast(nullif(table_no, '') as integer) as table_no,
    try_cast(nullif(table_row, '') as integer) as table_row,
    locator_zh,
    cast(line_start as integer) as line_start,
    cast(line_end as integer) as line_end,
    cast(char_start as integer) as char_start,
    cast(char_end as integer) as char_end,
    text
from raw.passages
