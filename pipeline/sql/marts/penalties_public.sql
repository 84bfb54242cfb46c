-- Case-level penalties as public on the build date: a record comes down after its
-- 公示截止期 (publicity_until); records without one stay (the agency set no end).
with penalties as (select * from stg_penalties),
build as (select build_date from build_info),
final as (
    select p.*, year(p.decision_date) as decision_year
    from penalties p, build
    where p.decision_date <= build.build_date
      and (p.publicity_until is null or p.publicity_until >= build.build_date)
)
select * from final order by decision_date desc, decision_number
