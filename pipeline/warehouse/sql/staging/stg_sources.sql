-- The source documents; unknown facts stay NULL, their *_note says why.
select
    source_id,
    title,
    kind,
    nullif(issuer, '') as issuer,
    nullif(issuer_note, '') as issuer_note,
    nullif(document_number, '') as document_number,
    nullif(document_number_note, '') as document_number_note,
    try_cast(nullif("date", '') as date) as "date",
    nullif(date_note, '') as date_note,
    nullif(url, '') as url,
    nullif(url_note, '') as url_note,
    try_cast(nullif(retrieved_date, '') as date) as retrieved_date,
    nullif(retrieved_note, '') as retrieved_note,
    path,
    sha256,
    coalesce(passage_id_prefix, '') as passage_id_prefix,
    nullif(note_zh, '') as note_zh,
    nullif(note_en, '') as note_en,
    nullif(licence_note_zh, '') as licence_note_zh,
    nullif(licence_note_en, '') as licence_note_en
from raw.sources
