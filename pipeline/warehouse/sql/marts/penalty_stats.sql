-- Public penalties counted by year, penalty category and fine range (万元), precomputed so
-- Datasette answers "how many 罚款 between 1 and 5 万元 in 2019?" without scanning every row.
-- A decision with several categories ("罚款;责令停产停业") counts once under each.
with penalties as (select * from penalties_public),
split as (
    select decision_year, unnest(string_split(penalty_category, ';')) as penalty_category, fine_amount_wan
    from penalties
),
banded as (
    select
        decision_year,
        penalty_category,
        case
            when fine_amount_wan is null then 0
            when fine_amount_wan < 1 then 1
            when fine_amount_wan < 5 then 2
            when fine_amount_wan < 10 then 3
            when fine_amount_wan < 50 then 4
            when fine_amount_wan < 100 then 5
            else 6
        end as amount_band,
        fine_amount_wan
    from split
),
final as (
    select
        decision_year,
        penalty_category,
        amount_band,
        case amount_band
            when 0 then '未载明罚款金额 / no fine amount recorded'
            when 1 then '不足1万元 / under 10,000 yuan'
            when 2 then '1万至不足5万元 / 10,000 to under 50,000 yuan'
            when 3 then '5万至不足10万元 / 50,000 to under 100,000 yuan'
            when 4 then '10万至不足50万元 / 100,000 to under 500,000 yuan'
            when 5 then '50万至不足100万元 / 500,000 to under 1 million yuan'
            else '100万元及以上 / 1 million yuan or more'
        end as amount_range,
        count(*) as decisions,
        -- no recorded amount is not a fine of 0: the sum stays NULL (amount_band 0 says why)
        round(sum(fine_amount_wan), 6) as fines_wan
    from banded
    group by all
)
select * from final order by decision_year, penalty_category, amount_band
