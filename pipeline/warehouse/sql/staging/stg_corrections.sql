-- The corrections and objections log (更正 / 异议).  Private persons appear only as 公众.
select
    correction_id,
    cast(date as date) as date,
    kind,
    outcome,
    resource,
    record_key,
    field,
    nullif(old_value, '') as old_value,
    nullif(new_value, '') as new_value,
    reason_zh,
    nullif(reason_en, '') as reason_en,
    requested_by,
    nullif(passage_id, '') as passage_id
from raw.corrections
