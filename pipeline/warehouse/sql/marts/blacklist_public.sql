-- The blacklist as public on the build date.  An entry is public from its listing date
-- through its display-until date, unless it was removed earlier.  Entries past that leave
-- every public output (exports, Datasette, site); blacklist_takedowns keeps only dates.
with entries as (select * from stg_blacklist),
build as (select build_date from build_info),
final as (
    select
        e.*,
        date_diff('day', build.build_date, e.display_until) as days_left
    from entries e, build
    where e.listing_date <= build.build_date
      and e.display_until >= build.build_date
      and (e.removal_date is null or e.removal_date > build.build_date)
)
select * from final order by listing_date desc, uscc
