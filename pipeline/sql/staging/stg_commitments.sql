select
    commitment_id,
    cast(seq as integer) as seq,
    kind,
    topic_zh,
    subject_zh,
    commitment_zh,
    commitment_en,
    nullif(comparator, '') as comparator,
    try_cast(nullif(value, '') as double) as value,
    nullif(unit, '') as unit,
    nullif(value_as_written, '') as value_as_written,
    try_cast(nullif(due_year, '') as integer) as due_year,
    nullif(due_as_written, '') as due_as_written,
    passage_id,
    quote,
    nullif(note_zh, '') as note_zh,
    nullif(note_en, '') as note_en
from raw.commitments
