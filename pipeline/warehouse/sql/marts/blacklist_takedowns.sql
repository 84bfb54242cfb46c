-- Entries that have come down, with when and why, but no name, code or person:
-- once the display period is over the listing itself must no longer be published.
with entries as (select * from stg_blacklist),
build as (select build_date from build_info),
gone as (
    select
        e.regime,
        e.deciding_authority,
        e.listing_date,
        e.display_until,
        e.removal_date,
        case
            when e.removal_date is not null and e.removal_date <= build.build_date then coalesce(e.removal_kind, '移出')
            else '公示期满'
        end as reason_zh,
        case
            when e.removal_date is not null and e.removal_date <= build.build_date then e.removal_date
            else e.display_until + interval 1 day
        end as taken_down_on
    from entries e, build
    where e.display_until < build.build_date
       or (e.removal_date is not null and e.removal_date <= build.build_date)
),
final as (
    select
        regime,
        deciding_authority,
        reason_zh,
        cast(listing_date as date) as listing_date,
        cast(display_until as date) as display_until,
        cast(taken_down_on as date) as taken_down_on,
        count(*) as entries
    from gone
    group by all
)
select * from final order by taken_down_on, listing_date, regime, deciding_authority, reason_zh
