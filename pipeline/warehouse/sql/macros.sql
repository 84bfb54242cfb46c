-- Shared macros.  fmt_num prints a number the way the plan writes it: 259, 0.71, 210.6
-- (no trailing .0, no binary noise such as 0.036000000000000004).
-- pipeline.numerals.plain is the same function for pages and charts (a test compares them).
create or replace macro fmt_num(v) as
    -- printf, not a cast: a DOUBLE's own text is 1e-06 for 0.000001, and DuckDB's cast to
    -- DECIMAL gives 12345678901234.499584 for 12345678901234.5
    case
        when v is null then null
        when rtrim(rtrim(printf('%.6f', cast(v as double)), '0'), '.') = '-0' then '0'
        else rtrim(rtrim(printf('%.6f', cast(v as double)), '0'), '.')
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
