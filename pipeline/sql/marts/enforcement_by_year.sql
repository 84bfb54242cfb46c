-- Enforcement by year and measure: campaign totals as the plan reports them, beside
-- case-level counts and fines from the penalties published so far.
with campaign as (select * from stg_campaign_results),
penalties as (select * from penalties_public),
case_categories as (
    -- a decision may carry several categories ("罚款;责令停产停业"): count it under each
    select decision_year as year, unnest(string_split(penalty_category, ';')) as category, fine_amount_wan
    from penalties
),
final as (
    select
        year,
        'campaign' as source,
        measure_id as measure,
        measure_zh,
        value,
        unit,
        passage_id,
        quote
    from campaign
    union all
    select
        year,
        'case_level' as source,
        'penalty-category:' || category as measure,
        category as measure_zh,
        count(*) as value,
        '件' as unit,
        null as passage_id,
        null as quote
    from case_categories
    group by year, category
    union all
    select
        decision_year as year,
        'case_level' as source,
        'fines' as measure,
        '罚款' as measure_zh,
        round(sum(fine_amount_wan), 6) as value,
        '万元' as unit,
        null,
        null
    from penalties
    where fine_amount_wan is not null
    group by decision_year
)
select * from final order by year, source, measure
