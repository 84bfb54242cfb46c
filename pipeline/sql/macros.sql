-- Shared macros.  fmt_num prints a number the way the plan writes it: 259, 0.71, 210.6
-- (no trailing .0, no binary noise such as 0.036000000000000004).
create or replace macro fmt_num(v) as
    case
        when v is null then null
        when v = trunc(v) then cast(cast(v as hugeint) as varchar)
        else cast(round(v, 6) as varchar)
    end;
