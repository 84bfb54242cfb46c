-- National documents outside the plan that the blacklist and display-period rules rest on.
-- Dates stay NULL where they could not be checked; the *_note columns say why.
select
    ref_id,
    document_number,
    title_zh,
    issuing_body,
    try_cast(nullif(issue_date, '') as date) as issue_date,
    nullif(issue_date_note, '') as issue_date_note,
    try_cast(nullif(effective_date, '') as date) as effective_date,
    nullif(effective_date_note, '') as effective_date_note,
    nullif(regime, '') as regime,
    provisions_zh,
    provisions_en,
    verification,
    verification_note_zh,
    verification_note_en,
    nullif(url, '') as url,
    lower(cited_in_plan) in ('true', '1') as cited_in_plan
from raw.legal_references
