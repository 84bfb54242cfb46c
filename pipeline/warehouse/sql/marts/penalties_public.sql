-- Case-level penalties as public on the build date: a record comes down after its
-- 公示截止期 (publicity_until).  One without a 公示截止期 comes down 3 years after its
-- decision: the longest display 发改办财金〔2019〕527号 allows for penalty information.
with penalties as (select * from stg_penalties),
build as (select build_date from build_info),
final as (
    select p.*, year(p.decision_date) as decision_year
    from penalties p, build
    where p.decision_date <= build.build_date
      and coalesce(p.publicity_until, p.decision_date + interval 3 year) >= build.build_date
)
select * from final order by decision_date desc, decision_number
