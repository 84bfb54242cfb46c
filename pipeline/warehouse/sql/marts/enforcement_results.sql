-- Enforcement results by year and measure, each row saying what it covers.
-- The plan reports the results of one named campaign as an example ("如在2015年开展的安全大检查
-- 深化'打非治违'和专项整治工作中…"), so campaign rows are that campaign's results, never the
-- year's totals.  Case-level rows count the penalties collected so far that are still on
-- display, which is not every penalty of the year either.
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
        campaign_zh,
        measure_id as measure,
        measure_zh,
        value,
        unit,
        '规划举出的一次专项行动（' || campaign_zh || '）的结果，不是' || cast(year as varchar) || '年全年的执法总数。' as scope_zh,
        'Results of one campaign the plan gives as an example (' || campaign_zh || '), not the enforcement totals of '
            || cast(year as varchar) || '.' as scope_en,
        passage_id,
        quote
    from campaign
    union all
    select
        year,
        'case_level' as source,
        null as campaign_zh,
        'penalty-category:' || category as measure,
        category as measure_zh,
        count(*) as value,
        '件' as unit,
        '本站已收录、且在数据日期仍在公示期内的个案处罚决定，按处罚类别计数；不是该年的全部处罚。' as scope_zh,
        'Penalty decisions collected by this project and still on display on the build date, counted by category; not every penalty of the year.' as scope_en,
        null as passage_id,
        null as quote
    from case_categories
    group by year, category
    union all
    select
        decision_year as year,
        'case_level' as source,
        null,
        'fines' as measure,
        '罚款' as measure_zh,
        round(sum(fine_amount_wan), 6) as value,
        '万元' as unit,
        '本站已收录、且在数据日期仍在公示期内的个案处罚决定的罚款合计（未载明金额的不计）；不是该年的全部罚款。',
        'Sum of the fines of the penalty decisions collected and still on display on the build date (decisions without an amount are not counted); not every fine of the year.',
        null,
        null
    from penalties
    where fine_amount_wan is not null
    group by decision_year
)
select * from final order by year, source, measure
