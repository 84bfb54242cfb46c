-- Shared macros.  fmt_num prints a number the way the plan writes it: 259, 0.71, 210.6
-- (no trailing .0, no binary noise such as 0.036000000000000004).
-- pipeline.numerals.plain is the same function for pages and charts (a test compares them).
create or replace macro fmt_num_digits(v) as
    -- at most 6 decimals and at most 15 significant digits (what a double holds: 99999999999.99,
    -- never 99999999999.990005), correctly rounded
    printf('%.*f', case when v = 0 then 6 else greatest(0, least(6, 14 - floor(log10(abs(cast(v as double)))))::int) end,
           cast(v as double));
create or replace macro fmt_num_trimmed(s) as
    case when s like '%.%' then rtrim(rtrim(s, '0'), '.') else s end;
create or replace macro fmt_num(v) as
    case
        when v is null then null
        when not isfinite(cast(v as double)) then lower(cast(cast(v as double) as varchar))
        when fmt_num_trimmed(fmt_num_digits(v)) = '-0' then '0'
        else fmt_num_trimmed(fmt_num_digits(v))
    end;

-- Precision is part of a figure: a value written with d decimals stands for ± half its last
-- digit (0.06 -> 0.055 to 0.065; 0.6 -> 0.55 to 0.65).  Counts of discrete things (人, 起, 家…)
-- are exact, and so are targets as written.  decimals_of reads the figure as the source wrote
-- it ("0.06", "下降25%", "41.1万元"); Chinese numerals carry no decimals.
create or replace macro decimals_of(written) as
    coalesce(length(regexp_extract(coalesce(written, ''), '[0-9][.．]([0-9]+)', 1)), 0);
create or replace macro exact_unit(unit) as
    unit in ('人', '起', '家', '个', '件', '次', '项', '处', '名', '座', '辆', '艘', '宗', '人次', '户', '所', '台', '套',
             '条', '场', '批', '例', '家次', '起次');
create or replace macro half_width(written, unit) as
    case when exact_unit(unit) then 0 else 0.5 * pow(10, -decimals_of(written)) end;
