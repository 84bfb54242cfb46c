"""python -m pipeline source add FILE --id ID --title TITLE …: register a source document.

One run, holding a lock on the package's datapackage.json so two runs cannot interleave:

1. load inputs and check them, before anything is written.  The file: at most 20 MB
   (`file-too-large`); not a PDF, Word file or web page (`not-plain-text`); its encoding
   detected as ingest detects a CSV's (a BOM; else strict UTF-8; else charset-normalizer,
   any legacy Chinese guess decoded as GB18030, since GBK lacks characters that GB18030
   has), or `not-decodable`; a BOM dropped, CRLF and CR made LF; then not blank
   (`empty-text`) and free of the control and bidi characters the validator refuses
   (`control-character`).  The options: the id a slug (`id-not-slug`), the URL matching
   sources.url's pattern in datapackage.json (`url-invalid`), dates YYYY-MM-DD and not
   after today (`date-invalid`, `date-future`, `date-order`).  The register: the id with
   other text (`id-conflict`), the text under another id (`duplicate-content`), an
   unregistered file in the way (`unregistered-file`).  Each refusal names the file and
   the rule, in Chinese and English;
2. process: the passages (pipeline.source.split_passages, ids prefixed "<id>--") and the
   sources.csv row, unknown facts empty with a note that they were not given;
3. save: the package is validated as it is (the baseline), then the text, passages.csv
   and sources.csv are each replaced in one rename, the old versions kept as hard links;
   the package is validated again, and any finding the baseline did not have puts all
   three back (`validation-failed`).  A failed write does the same (`write-failed`).

The same id with the same text changes nothing, not even a file's modification time.
The same text under another id is refused, not merely warned about: every passage would
have two ids, a figure could cite either, and a reader could not tell they are one text.
A text published in two places is one source; the second address goes in its note.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline import config, paths
from pipeline.errors import SOURCE_ADD_CODES, PipelineError
from pipeline.files import sha256_file
from pipeline.ingest.read import EncodingError, decode
from pipeline.ingest.staging import error_key
from pipeline.ingest.write import Transaction, WriteError, appended
from pipeline.source import split_passages
from pipeline.validate.personal import CONTROL

MAX_BYTES = 20 * 2**20  # the longest work report or bulletin is well under 1 MB as text
MAX_ID = 64
MAX_LINE_FIELD = 300  # a title or issuer: one line, and not a paragraph pasted by mistake
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
KINDS = ("plan", "statistical_bulletin", "work_report", "evaluation", "other")
NEXT = "python -m pipeline ingest 表格 --into observations"

NOT_GIVEN = "登记时未提供。Not given when registered."
GIVEN = "登记时提供，未核对。Given when registered; not checked."
LICENCE_ZH = "这份文本的著作权状态尚未评估；登记收录它不表示可以自由转载。"
LICENCE_EN = "The copyright status of this text has not been assessed; registering it does not mean it may be freely republished."

# Files people save instead of the text (checked on the first bytes): what to do instead.
SAVE_AS_TEXT = ("请在 Word 或 WPS 中“另存为”纯文本（UTF-8）后再登记", "save it as plain text (UTF-8) in Word or WPS and register that")
NOT_TEXT = (
    (b"%PDF-", "PDF", "PDF", ("请先转为纯文本（如 pdftotext -layout 文件.pdf），核对后再登记",
                              "convert it to plain text first (e.g. pdftotext -layout file.pdf), check it, and register that")),
    (b"PK\x03\x04", "Word/Excel（ZIP）", "Word/Excel (ZIP)", SAVE_AS_TEXT),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Word/Excel", "legacy Word/Excel", SAVE_AS_TEXT),
    (b"{\\rtf", "RTF", "RTF", SAVE_AS_TEXT),
)
HTML_START = re.compile(r"\s*<(!doctype\s+html|html[\s>])", re.IGNORECASE)


class Refused(PipelineError):
    """The source was not registered: a stable `code` (the rule) and a message in Chinese and English."""

    def __init__(self, code: str, zh: str, en: str):
        if code not in SOURCE_ADD_CODES:  # a code is declared (pipeline/errors.py) before it is used
            raise KeyError(f"source add: undeclared code {code!r}")
        super().__init__(f"[{code}] {zh} / {en}")
        self.code, self.zh, self.en = code, zh, en


@dataclass(frozen=True)
class Request:
    """What the command line asked for, checked; None where an option was not given."""

    file: Path
    source_id: str
    title: str
    kind: str | None = None
    issuer: str | None = None
    date: str | None = None
    url: str | None = None
    retrieved: str | None = None

    def given(self) -> dict[str, str | None]:
        """sources.csv column -> value asked for."""
        return {"title": self.title, "kind": self.kind, "issuer": self.issuer, "date": self.date, "url": self.url,
                "retrieved_date": self.retrieved}


@dataclass
class Outcome:
    source_id: str
    status: str = ""  # "added" or "unchanged"
    text_path: Path | None = None
    passages: int = 0
    first_passage: str = ""
    encoding: str = ""
    encoding_how: str = ""
    changes: list[str] = field(default_factory=list)  # what normalising did, in both languages
    sources_row: int = 0  # its row in sources.csv, header = 1
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Load inputs
# ---------------------------------------------------------------------------


def read_text(path: Path) -> tuple[str, str, str, list[str]]:
    """(text as stored, codec, how decided, what normalising changed); refuses what is not text."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise Refused("not-a-file", f"{path} 不是普通文件", f"{path} is not a regular file")
        if size > MAX_BYTES:
            raise Refused("file-too-large", f"{path} 有 {size:,} 字节，超过上限 {MAX_BYTES:,} 字节；这不像一份文件的纯文本",
                          f"{path} has {size:,} bytes, above the bound of {MAX_BYTES:,}; that is no document's plain text")
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)  # the file may have grown since stat()
    except FileNotFoundError:
        raise Refused("file-missing", f"找不到文件 {path}", f"File not found: {path}") from None
    except OSError as exc:
        raise Refused("file-missing", f"无法读取 {path}：{exc.strerror}", f"Cannot read {path}: {exc.strerror}") from exc
    if len(data) > MAX_BYTES:
        raise Refused("file-too-large", f"{path} 超过上限 {MAX_BYTES:,} 字节", f"{path} is above the bound of {MAX_BYTES:,} bytes")
    for magic, what_zh, what_en, (todo_zh, todo_en) in NOT_TEXT:
        if data.startswith(magic):
            raise Refused("not-plain-text", f"{path} 是 {what_zh} 文件，不是纯文本；{todo_zh}",
                          f"{path} is a {what_en} file, not plain text; {todo_en}")
    try:
        text, codec, how = decode(data)
    except EncodingError as exc:
        # ingest's message names the lines, then gives advice for Excel: keep the first part
        raise Refused("not-decodable",
                      f"{path} 无法可靠解码：{exc.zh.split('；')[0]}；请用文本编辑器另存为 UTF-8 后再登记",
                      f"{path} cannot be decoded reliably: {exc.en.split('; ')[0]}; "
                      "save it as UTF-8 in a text editor and register that") from exc
    changes = []
    if text.startswith("\ufeff") or "BOM" in how:  # a GB18030 file may open with U+FEFF too
        text = text.removeprefix("\ufeff")
        changes.append("去掉了 BOM / BOM dropped")
    if "\r" in text:
        crlf = text.count("\r\n")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        changes.append("CRLF 换行统一为 LF / CRLF line endings made LF" if crlf
                       else "CR 换行统一为 LF / CR line endings made LF")
    if codec.replace("-sig", "") not in ("utf-8", "ascii"):
        changes.insert(0, f"从 {codec.upper()} 转为 UTF-8 / converted from {codec.upper()} to UTF-8")
    if not text.strip():
        raise Refused("empty-text", f"{path} 没有文字（空文件或只有空白）", f"{path} holds no text (empty or whitespace only)")
    if HTML_START.match(text):
        raise Refused("not-plain-text", f"{path} 是 HTML 网页，不是纯文本；请把正文复制到 .txt 文件后再登记",
                      f"{path} is an HTML page, not plain text; copy the article's text into a .txt file and register that")
    found_zh, found_en = control_lines(text)
    if found_zh:
        raise Refused("control-character",
                      f"{path} 含有控制字符或改变文字方向的不可见字符（{found_zh}），不得发布；请删除后再登记"
                      "（PDF 转出的文本常在分页处有换页符 U+000C，可替换为换行）",
                      f"{path} contains control characters or invisible bidirectional controls ({found_en}), which are never "
                      "published; remove them and register again (text converted from a PDF often has a form feed, "
                      "U+000C, at each page break: replace it with a line break)")
    return text, codec, how, changes


def control_lines(text: str, limit: int = 5) -> tuple[str, str]:
    """('第3行 U+000C；第9行 U+202E', 'line 3 U+000C; line 9 U+202E') for the first `limit` lines
    holding one (the validator's set: C0 and C1 controls but tab and line breaks, bidi
    embeddings, overrides and isolates); empty strings when there is none."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        chars = " ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in CONTROL.findall(line)))
        if chars:
            found.append((number, chars))
            if len(found) == limit:
                break
    more = "…" if len(found) == limit else ""
    return ("；".join(f"第{n}行 {c}" for n, c in found) + more, "; ".join(f"line {n} {c}" for n, c in found) + more)


def load_descriptor(package: Path) -> dict:
    try:
        descriptor = json.loads(package.read_text(encoding="utf-8"))
        if not all(isinstance(resource(descriptor, n)["schema"]["fields"], list) for n in ("sources", "passages")):
            raise TypeError("schema.fields is not a list")
    except FileNotFoundError:
        raise Refused("package-invalid", f"找不到数据包描述文件 {package}", f"Package descriptor not found: {package}") from None
    except (OSError, ValueError, KeyError, TypeError, StopIteration) as exc:
        raise Refused("package-invalid", f"{package} 无法读取，或没有 sources 和 passages 资源；请先运行 python -m pipeline validate",
                      f"{package} cannot be read or lacks the sources and passages resources; run python -m pipeline validate") from exc
    return descriptor


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r.get("name") == name)


def read_sources(path: Path, names: list[str]) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise Refused("package-invalid", f"{path} 无法读取（{exc}）；请先运行 python -m pipeline validate",
                      f"{path} cannot be read ({exc}); run python -m pipeline validate") from exc
    if reader.fieldnames != names:
        raise Refused("package-invalid", f"{path} 的表头与数据结构不符；请先运行 python -m pipeline validate 并修复",
                      f"The header of {path} differs from the schema; run python -m pipeline validate and fix it first")
    return rows


# ---------------------------------------------------------------------------
# Check: the request against the rules and the register
# ---------------------------------------------------------------------------


def check_id(source_id: str, path: Path) -> None:
    rule = "^[a-z0-9][a-z0-9-]*$"
    if not SLUG.match(source_id) or len(source_id) > MAX_ID:
        raise Refused("id-not-slug",
                      f"登记 {path}：来源编号“{source_id}”不合规则：只能用小写英文字母、数字和连字符，以字母或数字开头（{rule}），"
                      f"不超过 {MAX_ID} 个字符，如 nanchang-bulletin-2020",
                      f"Registering {path}: source id '{source_id}' breaks the rule: lower-case letters, digits and hyphens, "
                      f"starting with a letter or digit ({rule}), at most {MAX_ID} characters, e.g. nanchang-bulletin-2020")
    if "--" in source_id or source_id.endswith("-"):
        # "<id>--" prefixes the passage ids: a second "--" would make them ambiguous to read.
        raise Refused("id-not-slug",
                      f"登记 {path}：来源编号“{source_id}”不能含“--”或以“-”结尾（段落编号以“编号--”开头）",
                      f"Registering {path}: source id '{source_id}' may not contain '--' or end in '-' "
                      "(passage ids start with '<id>--')")


# option -> (its name in Chinese, the code of its refusal)
OPTIONS = {"title": ("文件名称", "title-invalid"), "issuer": ("印发机关", "issuer-invalid"), "url": ("网址", "url-invalid"),
           "date": ("印发日期", "date-invalid"), "retrieved": ("获取日期", "date-invalid")}


def check_line(option: str, value: str | None, path: Path) -> str | None:
    """A one-line field given on the command line, stripped; None when not given."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if CONTROL.search(value) or "\n" in value or "\r" in value or "\t" in value or len(value) > MAX_LINE_FIELD:
        zh, code = OPTIONS[option]
        raise Refused(code, f"登记 {path}：{zh}（--{option}）须为一行文字，不超过 {MAX_LINE_FIELD} 个字符，不含控制字符",
                      f"Registering {path}: --{option} must be one line of at most {MAX_LINE_FIELD} characters, "
                      "without control characters")
    return value


def check_date(option: str, value: str | None, today: dt.date, path: Path) -> str | None:
    if value is None or not value.strip():
        return None
    value, zh = value.strip(), OPTIONS[option][0]
    try:
        day = config.parse_date(value, f"--{option}")
    except config.BadDate:
        raise Refused("date-invalid", f"登记 {path}：{zh}（--{option}）“{value}”不是有效日期；须写作 YYYY-MM-DD，如 2021-03-01",
                      f"Registering {path}: --{option} '{value}' is not a valid date; write YYYY-MM-DD, e.g. 2021-03-01") from None
    if day > today:
        raise Refused("date-future", f"登记 {path}：{zh}（--{option}）{value} 晚于今天（{today}）",
                      f"Registering {path}: --{option} {value} is after today ({today})")
    return value


def check_url(url: str | None, descriptor: dict, path: Path) -> str | None:
    url = check_line("url", url, path)
    if url is None:
        return None
    spec = next((f for f in resource(descriptor, "sources")["schema"]["fields"] if f["name"] == "url"), {})
    pattern = spec.get("constraints", {}).get("pattern")
    if pattern and not re.fullmatch(pattern, url):
        raise Refused("url-invalid",
                      f"登记 {path}：网址（--url）“{url}”不符合 datapackage.json 中 sources.url 的格式（http:// 或 https:// 开头的完整网址，"
                      "不含空格、引号、尖括号）",
                      f"Registering {path}: --url '{url}' does not match the pattern of sources.url in datapackage.json "
                      "(a whole http:// or https:// address without spaces, quotes or angle brackets)")
    return url


def differences(row: dict, given: dict) -> list[str]:
    """'title: 已登记 registered “a”, 本次 given “b”' for each option given that differs from the register."""
    out = []
    for column, value in given.items():
        if value is not None and row.get(column, "") != value:
            out.append(f"{column}: 已登记 registered “{row.get(column, '')}”, 本次 given “{value}”")
    return out


# ---------------------------------------------------------------------------
# Save: replace files in one rename each (ingest/write.py's Transaction); describe findings
# ---------------------------------------------------------------------------


def described(e) -> str:
    where = [_rel(Path(e.file)) if e.file else (e.resource or "")]
    if e.row:
        where.append(f"第{e.row}行 row {e.row}")
    if e.field:
        where.append(e.field)
    return f"{' '.join(where)} [{e.code}] {e.message_zh} / {e.message_en}"


def _rel(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def add_source(file: Path, source_id: str, title: str, *, issuer: str | None = None, date: str | None = None,
               url: str | None = None, kind: str | None = None, retrieved: str | None = None,
               package: Path = paths.PACKAGE, on_date: dt.date | None = None) -> Outcome:
    """Register `file` as source `source_id` in `package` (its datapackage.json); raises Refused."""
    from pipeline.config import build_date

    file, package = Path(file), Path(package)
    package = package / "datapackage.json" if package.is_dir() else package
    today = on_date or build_date()
    out = Outcome(source_id)

    # -- load inputs and check the request --------------------------------------
    check_id(source_id, file)
    title = check_line("title", title, file)
    if title is None:
        raise Refused("title-invalid", f"登记 {file}：须给出文件名称（--title）", f"Registering {file}: a title is required (--title)")
    issuer = check_line("issuer", issuer, file)
    date = check_date("date", date, today, file)
    retrieved = check_date("retrieved", retrieved, today, file)
    if date and retrieved and date > retrieved:
        raise Refused("date-order", f"登记 {file}：印发日期 {date} 晚于获取日期 {retrieved}；副本不能早于文件本身",
                      f"Registering {file}: the issue date {date} is after the retrieval date {retrieved}; "
                      "a copy cannot predate its document")
    if kind is not None and kind not in KINDS:
        raise Refused("kind-invalid", f"登记 {file}：类型“{kind}”不在 {', '.join(KINDS)} 之中",
                      f"Registering {file}: kind '{kind}' is not one of {', '.join(KINDS)}")
    descriptor = load_descriptor(package)
    url = check_url(url, descriptor, file)
    req = Request(file, source_id, title, kind, issuer, date, url, retrieved)
    text, out.encoding, out.encoding_how, out.changes = read_text(file)

    with open(package, "rb") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refused("locked", f"{package} 正被另一次 source add 使用；请等它结束后再试",
                          f"{package} is in use by another source add; try again when it has finished") from None
        return _register(req, text, descriptor, package, today, out)


def _register(req: Request, text: str, descriptor: dict, package: Path, today: dt.date, out: Outcome) -> Outcome:
    """The rest of the run, under the lock: the register, the passages, the writes."""
    file, source_id, title, base = req.file, req.source_id, req.title, package.parent
    data = text.encode("utf-8")
    sha = hashlib.sha256(data).hexdigest()
    sources_res, passages_res = resource(descriptor, "sources"), resource(descriptor, "passages")
    source_names = [f["name"] for f in sources_res["schema"]["fields"]]
    sources_csv, passages_csv = base / sources_res["path"], base / passages_res["path"]
    sources = read_sources(sources_csv, source_names)
    rel = f"source/{source_id}.txt"
    text_path = base / rel
    out.text_path = text_path

    # -- the register: same id, same text, same path ----------------------------
    for number, row in enumerate(sources, start=2):
        if row["source_id"] == source_id:
            stored = base / row["path"]
            if row["sha256"] != sha:
                raise Refused("id-conflict",
                              f"{file}：来源编号 {source_id} 已登记了另一份文本（{row['path']}，sha256 {row['sha256'][:12]}…；"
                              f"本文件 {sha[:12]}…）；已登记的文本不会被覆盖。若是不同的文件，请换一个编号；若是更正，"
                              "请说明来源后手工替换并运行 python -m pipeline passages",
                              f"{file}: source id {source_id} is registered with other text ({row['path']}, sha256 "
                              f"{row['sha256'][:12]}…; this file {sha[:12]}…); a registered text is never overwritten. "
                              "If it is another document, use another id; if it is a correction, replace it by hand, "
                              "say where it comes from, and run python -m pipeline passages")
            if not stored.is_file() or sha256_file(stored) != sha:
                raise Refused("stored-copy-altered",
                              f"{file}：{source_id} 已登记且 sha256 相同，但数据包中的 {row['path']} 缺失或已被改动；"
                              "请从 git 恢复它（git checkout -- 该文件），然后运行 python -m pipeline validate",
                              f"{file}: {source_id} is registered with this sha256, but {row['path']} in the package is "
                              "missing or altered; restore it from git (git checkout -- that file) and run python -m pipeline validate")
            diff = differences(row, req.given())
            if diff:
                raise Refused("metadata-differs",
                              f"{file}：{source_id} 已登记同一文本，但本次给出的信息不同，没有改动：{'；'.join(diff)}。"
                              "如需修改，请直接编辑 sources.csv（改了 title 须再运行 python -m pipeline passages）",
                              f"{file}: {source_id} is registered with the same text but other details; nothing changed: "
                              f"{'; '.join(diff)}. To change them edit sources.csv (after changing the title, run "
                              "python -m pipeline passages)")
            out.status, out.sources_row = "unchanged", number
            out.text_path = stored
            return out
        if row["sha256"] == sha:
            raise Refused("duplicate-content",
                          f"{file}：同一文本已登记为 {row['source_id']}（{row['path']}）；同一文本不登记两次，否则每段都有两个编号。"
                          f"若它在别处另有发布，请把那里的网址写进 {row['source_id']} 的说明",
                          f"{file}: the same text is registered as {row['source_id']} ({row['path']}); a text is not "
                          f"registered twice, or each passage would have two ids. If it was also published elsewhere, "
                          f"add that address to the note of {row['source_id']}")
        if row["path"] == rel:
            raise Refused("path-taken", f"{file}：{rel} 已登记为 {row['source_id']} 的全文", f"{file}: {rel} is registered as the text of {row['source_id']}")
    write_text = True
    if os.path.lexists(text_path):
        if text_path.is_file() and not text_path.is_symlink() and text_path.read_bytes() == data:
            write_text = False  # left by hand or by an interrupted run: the very same text
        else:
            raise Refused("unregistered-file",
                          f"{file}：{rel} 已存在，但没有登记，内容也不同；为免覆盖，没有写入任何文件。请确认它是什么，移走后再登记",
                          f"{file}: {rel} exists, is not registered and holds other text; to keep it, nothing was written. "
                          "Find out what it is, move it away, and register again")

    # -- process: passages and the register's row --------------------------------
    prefix = f"{source_id}--"
    passages = split_passages(text, title=title, prefix=prefix)
    rows = []
    for p in passages:
        r = asdict(p)
        rows.append({"passage_id": r.pop("passage_id"), "source_id": source_id, **r})
    passage_names = [f["name"] for f in passages_res["schema"]["fields"]]
    old_passages = passages_csv.read_bytes()
    if list(rows[0]) != passage_names or old_passages.split(b"\n", 1)[0].decode("utf-8", "replace") != ",".join(passage_names):
        raise Refused("package-invalid", f"{passages_csv} 的表头与数据结构不符；请先运行 python -m pipeline validate 并修复",
                      f"The header of {passages_csv} differs from the schema; run python -m pipeline validate and fix it first")
    if not any(p.kind == "title" for p in passages):
        out.notes.append(f"注意 / note: 全文中没有一行与标题“{title}”完全相同，所以没有 title 段落 / "
                         "no line of the text equals the title, so there is no title passage")
    how = "；".join(c.split(" / ")[0] for c in out.changes)
    how_en = "; ".join(c.split(" / ")[1] for c in out.changes)
    name = file.name if not CONTROL.search(file.name) else "?"
    record = {
        "source_id": source_id, "title": title, "kind": req.kind or "other",
        "issuer": req.issuer or "", "issuer_note": GIVEN if req.issuer else NOT_GIVEN,
        "document_number": "", "document_number_note": NOT_GIVEN,
        "date": req.date or "", "date_note": GIVEN if req.date else NOT_GIVEN,
        "url": req.url or "", "url_note": GIVEN if req.url else NOT_GIVEN,
        "retrieved_date": req.retrieved or "", "retrieved_note": GIVEN if req.retrieved else NOT_GIVEN,
        "path": rel, "sha256": sha, "passage_id_prefix": prefix,
        "note_zh": f"{today} 用 python -m pipeline source add 从文件“{name}”登记" + (f"：{how}。" if how else "，未作改动。"),
        "note_en": f"Registered on {today} with python -m pipeline source add from the file '{name}'"
                   + (f": {how_en}." if how_en else ", unchanged."),
        "licence_note_zh": LICENCE_ZH, "licence_note_en": LICENCE_EN,
    }
    if set(record) != set(source_names):  # the schema gained or lost a column: this command must follow
        raise Refused("package-invalid", f"{sources_csv} 的列与本命令填写的不同：{sorted(set(record) ^ set(source_names))}",
                      f"The columns of {sources_csv} differ from those this command fills: {sorted(set(record) ^ set(source_names))}")
    new_sources = appended(sources_csv.read_bytes(), [[record[n] for n in source_names]])
    new_passages = appended(old_passages, [list(r.values()) for r in rows])

    # -- save: baseline, write, validate, keep or put back -------------------------
    from pipeline.validate import validate_package

    before, con = validate_package(package, on_date=today)
    con.close()
    if not before.complete or not {"sources", "passages"} <= set(before.tables):
        first = "; ".join(f"{e.code}: {e.message_en}" for e in before.errors[:3])
        raise Refused("package-invalid", f"数据包本身有错误，无法校验新登记的来源（{first}）；请先运行 python -m pipeline validate 并修复",
                      f"The package itself is broken, so the new source cannot be checked ({first}); run python -m pipeline validate first")
    baseline = {error_key(e) for e in before.errors}
    tx = Transaction()
    try:
        if write_text:
            tx.write(text_path, data)
        tx.write(passages_csv, new_passages)
        tx.write(sources_csv, new_sources)
        after, con = validate_package(package, on_date=today)
        con.close()
    except WriteError as exc:
        tx.rollback()
        raise Refused("write-failed", f"{file}：{exc.zh}", f"{file}: {exc.en}") from exc
    except BaseException:
        tx.rollback()  # Ctrl-C, or a bug: never leave half a registration behind
        raise
    new = [e for e in after.errors if error_key(e) not in baseline]
    if any(e.severity == "error" for e in new):
        tx.rollback()
        shown = [described(e) for e in new if e.severity == "error"]
        more = f"\n  … +{len(shown) - 10}" if len(shown) > 10 else ""
        raise Refused("validation-failed",
                      f"{file}：登记后数据包校验失败，已全部撤回，数据包保持原样。原因：\n  " + "\n  ".join(shown[:10]) + more,
                      f"{file}: the package failed validation with this source, so everything was put back as it was (reasons above)")
    tx.commit()
    out.notes += [f"警告 / warning: {described(e)}" for e in new]
    preexisting = sum(e.severity == "error" for e in before.errors)
    if preexisting:
        out.notes.append(f"注意 / note: 数据包原有 {preexisting} 个错误，与本文件无关；请运行 python -m pipeline validate 查看 / "
                         f"the package already had {preexisting} errors unrelated to this file; run python -m pipeline validate")
    out.status, out.passages, out.first_passage = "added", len(rows), rows[0]["passage_id"]
    out.sources_row = len(sources) + 2
    return out


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------


def summary(out: Outcome, file: Path, package: Path) -> str:
    lines = [f"登记来源 / add source: {_rel(file)} → {out.source_id}"]
    add = lines.append
    if out.status == "unchanged":
        add(f"✓ 已登记，无改动 / already registered, nothing changed: {out.source_id}（sources.csv 第{out.sources_row}行 / row "
            f"{out.sources_row}；全文 / text {_rel(out.text_path)}）")
        return "\n".join(lines)
    add(f"  编码 / encoding: {out.encoding}（{out.encoding_how}）"
        + (f"；{'；'.join(out.changes)}" if out.changes else ""))
    add(f"✓ 已登记 / registered: {out.source_id}（sources.csv 第{out.sources_row}行 / row {out.sources_row}）")
    add(f"  全文 / text: {_rel(out.text_path)}（UTF-8）")
    add(f"  段落 / passages: 新增 {out.passages} 个 / {out.passages} added (passages.csv)，"
        f"编号以 {out.source_id}-- 开头 / ids start with {out.source_id}--, e.g. {out.first_passage}")
    add("  校验 / validation: 通过 / passed")
    lines.extend(out.notes)
    nxt = NEXT + ("" if Path(package).resolve() == paths.PACKAGE.resolve() else f" --package {_rel(Path(package))}")
    add(f"下一步：在表格中引用这些段落并导入 / next: cite these passages in a sheet and ingest it: {nxt}")
    return "\n".join(lines)


def main(args) -> int:
    import sys

    file, package = Path(args.file), Path(args.package)
    try:
        out = add_source(file, args.id, args.title, issuer=args.issuer, date=args.date, url=args.url, kind=args.kind,
                         retrieved=args.retrieved, package=package)
    except Refused as exc:
        print(f"登记来源 / add source: {_rel(file)} → {args.id}\n✗ 拒绝 / refused [{exc.code}]: {exc.zh}\n  {exc.en}",
              file=sys.stderr)
        return 1
    print(summary(out, file, package))
    return 0


__all__ = ["Outcome", "Refused", "add_source", "main", "summary"]
