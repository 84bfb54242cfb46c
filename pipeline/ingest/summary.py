"""What a run prints: the summary of every row, and the command that repeats it."""

from __future__ import annotations

from pathlib import Path

from pipeline import paths
from pipeline.ingest.normalize import trim
from pipeline.ingest.outcome import TARGETS, Outcome, shown_path


def command(out: Outcome, package: Path, *, dry_run: bool = False) -> str:
    into = next((k for k, v in TARGETS.items() if v == out.resource), out.resource)
    cmd = f"python -m pipeline ingest {shown_path(out.input)} --into {into}"
    if Path(package).resolve() != paths.PACKAGE:
        cmd += f" --package {shown_path(Path(package).resolve())}"
    return cmd + (" --dry-run" if dry_run else "")


def summary(out: Outcome, package: Path = paths.PACKAGE, limit: int = 40) -> str:
    lines = []
    add = lines.append
    add(f"导入 / ingest: {shown_path(out.input)} → {out.resource}")
    if out.error and out.header is None:
        add(f"✗ 无法读取 / cannot read: {out.error.zh} / {out.error.en}")
        return "\n".join(lines)
    wb, h = out.workbook, out.header
    if wb.kind == "csv":
        delim = {",": "逗号 comma", "\t": "制表符 tab", ";": "分号 semicolon", "|": "竖线 bar"}[wb.delimiter]
        add(f"  编码 / encoding: {wb.encoding}（{wb.encoding_how}）；分隔符 / delimiter: {delim}")
    else:
        add(f"  Excel 工作表 / sheet: {h.sheet.name}")
    rows = h.header_rows
    span = (f"第{rows[0]}行 / row {rows[0]}" if len(rows) == 1
            else f"第{rows[0]}–{rows[-1]}行 / rows {rows[0]}–{rows[-1]}")
    add(f"  表头 / header: {span}; 识别 {len(h.by_field())} 列 / {len(h.by_field())} columns mapped")
    for kind, zh, en in (("unknown", "未识别，未导入", "not recognised, not ingested"),
                         ("duplicate", "重复的列，未导入", "repeated column, not ingested"),
                         ("personal", "个人信息，未导入", "personal data, never ingested"),
                         ("ignore", "不需要", "not needed")):
        cols = h.of_kind(kind)
        if cols:
            add(f"  {zh} / {en}: " + "，".join(c.where + (f"（同{c.note}列）" if c.note else "") for c in cols))
    stray = [c for c in h.of_kind("empty") if any(c.index < len(cells) and trim(cells[c.index]) for _, cells in h.data)]
    if stray:
        add("  无表头但有数据，未导入 / data without a header, not ingested: " + "，".join(c.where for c in stray))
    if out.missing_required:
        add("  缺少必填列 / required columns missing: " + "，".join(out.missing_required))
    n_acc, n_rej, n_dup = len(out.accepted), len(out.rejected), len(out.duplicates)
    add(f"行 / rows: 读取 read {out.rows_read} = 接受 accepted {n_acc} + 拒绝 rejected {n_rej} + 重复 duplicates {n_dup}"
        + (f"（另有空行 {out.blank_rows} 行，跳过 / {out.blank_rows} blank skipped）" if out.blank_rows else ""))
    if out.rejected:
        add("拒绝 / rejected:")
        text = []
        for row, findings in out.rejected.items():
            empty = [f.column for f in findings if f.code == "required"]
            if empty:
                text.append(f"  第{row}行 [required] 必填字段为空 / required but empty: {'、'.join(empty)}")
            for f in findings:
                if f.code != "required" or not empty:
                    value = f"“{f.value}” " if f.value else ""
                    message = f.message_zh if len(f.message_zh) <= 90 else f.message_zh[:89] + "…"
                    text.append(f"  第{row}行 {f.column} {value}[{f.code}] {message}")
        lines.extend(text[:limit])
        if len(text) > limit:
            add(f"  … 另有 {len(text) - limit} 条，见隔离文件 / {len(text) - limit} more in the quarantine file")
    if out.duplicates:
        add("重复，未再写入 / duplicates, not written again: "
            + "；".join(f"第{r}行 = {what}" for r, what in out.duplicates[:10])
            + (f" … (+{len(out.duplicates) - 10})" if len(out.duplicates) > 10 else ""))
    if out.preexisting:
        add(f"注意 / note: 数据包原有 {out.preexisting} 个错误，与本文件无关；请运行 python -m pipeline validate 查看 / "
            f"the package already had {out.preexisting} errors unrelated to this file; run python -m pipeline validate")
    for wfind in out.warnings[:5]:
        add(f"警告 / warning: {f'第{wfind.row}行 ' if wfind.row else ''}[{wfind.code}] {wfind.message_zh}")
    appended = out.appended or ({out.dataset: n_acc} if out.dataset else {})
    if out.dry_run:
        would = ", ".join(f"{n} rows to {shown_path(p)}" for p, n in appended.items() if n) or "no rows"
        add(f"试运行，未写入任何文件 / dry run, nothing written (would append {would}"
            + (f", quarantine {n_rej} rows" if n_rej else "") + ")")
    else:
        if out.written:
            add("已写入 / appended: " + "; ".join(f"{shown_path(p)} (+{n} 行 rows)" for p, n in appended.items() if n))
        if out.quarantine_written:
            add(f"隔离文件 / quarantine: {shown_path(out.quarantine)} ({n_rej} 行 rows)")
        elif out.quarantine_removed:
            add(f"已删除上次的隔离文件 / removed the previous quarantine file: {shown_path(out.quarantine)}")
    if out.quarantine_foreign and not out.rejected:
        add(f"注意 / note: {shown_path(out.quarantine)} 不是本工具为此文件写的隔离文件，未改动 / "
            "is not the quarantine file this tool wrote for this input; left as it is")
    elif out.quarantine_foreign and out.dry_run:
        add(f"注意 / note: {shown_path(out.quarantine)} 已存在且不是本工具为此文件写的；正式导入前请改名或移走 / "
            "exists and is not this tool's file for this input; rename or move it before the real run")
    if out.error:
        add(f"✗ {out.error.zh} / {out.error.en}")
        return "\n".join(lines)
    build = "python -m pipeline build" + ("" if Path(package).resolve() == paths.PACKAGE else f" {shown_path(Path(package).resolve())}")
    if out.dry_run:
        nxt = f"去掉 --dry-run 正式导入 / run it for real: {command(out, package)}"
    elif out.rejected:
        nxt = (f"按隔离文件修改原表中列出的单元格，再运行同一命令（已导入的行会作为重复跳过）/ fix the cells listed in the "
               f"quarantine file, then run the same command again (rows already in are skipped): {command(out, package)}")
        if out.written:
            nxt += f"\n      然后发布 / then publish: {build}"
    elif out.written:
        nxt = f"校验并发布 / validate and publish: {build}"
    else:
        nxt = "没有新记录，无需操作 / nothing new, nothing to do"
    add(f"下一步 / next: {nxt}")
    return "\n".join(lines)

