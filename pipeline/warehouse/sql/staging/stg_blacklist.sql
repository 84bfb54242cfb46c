select
    enterprise_name,
    uscc,
    nullif(principal_name, '') as principal_name,
    regime,
    listing_situation,
    legal_basis,
    nullif(penalty_decision_number, '') as penalty_decision_number,
    nullif(listing_decision_number, '') as listing_decision_number,
    deciding_authority,
    cast(listing_date as date) as listing_date,
    cast(display_until as date) as display_until,
    try_cast(nullif(removal_date, '') as date) as removal_date,
    nullif(removal_kind, '') as removal_kind,
    nullif(remedy, '') as remedy,
    nullif(source_url, '') as source_url,
    try_cast(nullif(retrieved_date, '') as date) as retrieved_date
from raw.blacklist
