"""Reports as they are published: PDF (text layer and scanned), Word (.docx, .doc), web pages and
odd encodings. Every file is made here from sentences written for these tests; every fact of
every format is checked against the text it was read as (text[start:end] == quote)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.documents import docx_report, pdf, wrap
from kg.build import build, text_path
from kg.extract import extract
from kg.readers import ReadError
from kg.report import Report, read

HEADER = "安吉县人民代表大会常务委员会工作报告"


def _quotes_hold(r: Report) -> list:
    facts = extract(r).facts
    for f in facts:
        ev = f.evidence
        assert r.text[ev.start: ev.end] == ev.quote
        assert r.text[ev.mention_start: ev.mention_end] == ev.mention
    return facts


def _counts(facts: list) -> list[tuple[str, int, str, int | None]]:
    return [(f.measure, int(f.value), f.unit, f.evidence.page) for f in facts if f.kind == "count"]


FIRST = ("2023年，县人大常委会坚持依法履职，共召开常委会会议9次，审议议案和报告26项。常委会围绕全县中心工作，"
         "组织代表开展视察调研活动11次，推动解决群众反映的突出问题。")
ACROSS = "全年开展执法检查4次，督促相关部门整改问题37个。"
SECOND = "县人大常委会持续推行民生实事项目人大代表票决制，票决产生民生实事项目8件，全部按期完成。"


def test_a_pdf_is_read_in_order_without_its_running_header_and_page_numbers(tmp_path):
    first = wrap(FIRST + ACROSS)
    cut = next(i for i, line in enumerate(first) if "督促" in line or "整改" in line)  # the sentence goes over the page
    made = pdf(tmp_path / "report.pdf", [first[:cut], [*first[cut:], *wrap(SECOND)]], header=HEADER)
    r = read(made)
    assert r.media_type == "application/pdf" and len(r.pages) == 2
    assert r.text.count(HEADER) == 1 and "—" not in r.text  # the title stays once, headers and page numbers go
    assert r.body == "安吉县人大常委会" and r.title == HEADER
    got = _counts(_quotes_hold(r))
    assert got == [("常委会会议", 9, "次", 1), ("议案和报告", 26, "项", 1), ("视察调研活动", 11, "次", 1),
                   ("执法检查", 4, "次", 1), ("问题", 37, "个", 2),  # the sentence broken over the page; the clause's head noun
                   ("票决产生民生实事项目", 8, "件", 2)]


def test_two_columns_are_read_column_by_column(tmp_path):
    left = wrap("左栏所记：县人大常委会全年召开主任会议15次，研究重要事项。", 20)
    right = wrap("右栏所记：县人大常委会全年办理代表建议132件，办结率100%。", 20)
    made = pdf(tmp_path / "cols.pdf", [[HEADER, *wrap(FIRST)]], columns=[left, right], header=HEADER)
    r = read(made)
    assert r.text.index("左栏所记") < r.text.index("研究重要事项") < r.text.index("右栏所记") < r.text.index("办结率")
    got = _counts(_quotes_hold(r))
    assert ("主任会议", 15, "次", 2) in got and ("代表建议", 132, "件", 2) in got


def test_a_scanned_page_is_read_by_ocr_only_when_asked(tmp_path):
    scan = ["县人大常委会组织执法检查6次，", "听取和审议专项工作报告12个。"]
    made = pdf(tmp_path / "scan.pdf", [[HEADER, *wrap(FIRST)]], image_pages={2: scan}, header=HEADER)
    without = read(made)
    assert without.unread_pages == [2] and without.ocr_pages == [] and "执法检查6次" not in without.text
    r = read(made, ocr=True)
    assert r.ocr_pages == [2] and r.unread_pages == []
    facts = _quotes_hold(r)
    assert ("执法检查", 6, "次", 2) in _counts(facts) and ("专项工作报告", 12, "个", 2) in _counts(facts)
    assert all(f.evidence.ocr == (f.evidence.page == 2) for f in facts)
    only_scan = pdf(tmp_path / "only-scan.pdf", [], header=None, image_pages={1: scan})
    with pytest.raises(ReadError, match=r"a PDF without text on any page \(build with --ocr"):
        read(only_scan)


def test_pdfs_that_cannot_be_read_say_why(tmp_path):
    locked = pdf(tmp_path / "locked.pdf", [[HEADER, *wrap(FIRST)]], password="secret", header=HEADER)
    with pytest.raises(ReadError, match="an encrypted PDF"):
        read(locked)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n" + b"\x00garbage" * 50)
    with pytest.raises(ReadError, match="not a readable PDF"):
        read(broken)


def _docx(path: Path) -> Path:
    return docx_report(path, "德清县人大常委会2023年工作报告", [FIRST, "主要工作数据如下："],
                       [("工作", "数量"), ("开展专题询问", "3次"), ("审查规范性文件", "45件")], [SECOND])


def test_a_docx_is_read_with_its_table_in_document_order(tmp_path):
    r = read(_docx(tmp_path / "report.docx"))
    assert r.body == "德清县人大常委会" and r.encoding == "docx"
    assert r.text.index("如下") < r.text.index("开展专题询问\t3次") < r.text.index("票决产生")
    got = [(m, v, u) for m, v, u, _ in _counts(_quotes_hold(r))]
    assert ("专题询问", 3, "次") in got and ("规范性文件", 45, "件") in got and ("常委会会议", 9, "次") in got


def test_an_old_word_doc_is_read_through_libreoffice(tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is installed by `make test` (Debian's libreoffice-writer-nogui)"
    src = _docx(tmp_path / "report.docx")
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "doc",
                    "--outdir", str(tmp_path / "doc"), str(src)], check=True, capture_output=True, timeout=180)
    doc = tmp_path / "doc" / "report.doc"
    assert doc.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    r = read(doc)
    assert r.media_type == "application/msword" and r.body == "德清县人大常委会"
    assert [c[:3] for c in _counts(_quotes_hold(r))] == [c[:3] for c in _counts(_quotes_hold(read(src)))]
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    broken = tmp_path / "broken.doc"
    broken.write_bytes(ole + "WordDocument".encode("utf-16-le") + b"\x00" * 600)
    with pytest.raises(ReadError, match=r"LibreOffice cannot read this \.doc file \(Error: source file could not be loaded\)"):
        read(broken)
    sheet = tmp_path / "sheet.doc"  # an Excel file named .doc
    sheet.write_bytes(ole + "Workbook".encode("utf-16-le") + b"\x00" * 600)
    with pytest.raises(ReadError, match="not a Word document"):
        read(sheet)


def test_a_damaged_docx_or_a_zip_bomb_says_why(tmp_path):
    import io
    import zipfile

    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ReadError, match=r"not a readable \.docx file"):
        read(broken)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<" + b"a" * (300 * 1024 * 1024))  # 300 MB of one letter: 0.3 MB packed
    (tmp_path / "bomb.docx").write_bytes(packed.getvalue())
    with pytest.raises(ReadError, match=r"a \.docx that unpacks to 315 MB"):
        read(tmp_path / "bomb.docx")


PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>北湖区人大常委会工作报告_北湖人大网</title>
<meta name="publishdate" content="2024-01-18"><link rel="canonical" href="https://rd.beihu.example.cn/art/2024/1/18/art_7.html">
</head><body><div class="nav"><a href="/">首页</a> &gt; <a href="/bg">工作报告</a></div>
<div class="side"><h3>热点新闻</h3><ul><li><a href="/n1">东岗县人大常委会召开常委会会议30次</a></li>
<li><a href="/n2">西坪镇人大主席团开展执法检查7次</a></li></ul></div>
<div class="main"><h1>北湖区人大常委会工作报告</h1><div class="meta">发布时间：2024-01-18 来源：北湖人大</div>
<div class="content"><p>过去一年，区人大常委会召开常委会会议10次，作出决议决定8项。</p>
<p>全年听取和审议专项工作报告14个，开展专题询问2次。</p>
<table><tr><td>办理代表建议</td><td>96件</td></tr></table></div></div>
<div class="related"><h3>相关阅读</h3><ul><li><a href="/r1">南沙市人大常委会审议议案50件</a></li></ul></div>
<div class="foot">主办单位：北湖区人大常委会办公室　备案号：某ICP备00000000号</div></body></html>"""


def test_a_web_page_gives_its_article_not_the_page_around_it(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(PAGE, encoding="utf-8")
    r = read(page)
    assert r.title == "北湖区人大常委会工作报告" and r.date == "2024-01-18" and r.body == "北湖区人大常委会"
    assert r.url == "https://rd.beihu.example.cn/art/2024/1/18/art_7.html"
    got = [(m, v, u) for m, v, u, _ in _counts(_quotes_hold(r))]
    assert sorted(got) == sorted([("常委会会议", 10, "次"), ("决议决定", 8, "项"), ("专项工作报告", 14, "个"),
                                  ("专题询问", 2, "次"), ("代表建议", 96, "件")])
    for elsewhere in ("30次", "7次", "50件", "首页"):  # the sidebar, related links and menu are not the report
        assert elsewhere not in r.text


def test_a_web_page_whose_article_is_hidden_or_missing_says_why(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><body><p>区人大常委会工作报告</p>\n<script>var a = 1;\n<p>召开会议10次。</p></body></html>", encoding="utf-8")
    with pytest.raises(ReadError, match=r"p.html:2: a <script> that is never closed"):
        read(page)
    page.write_text("<html><body><nav><a href='/'>首页</a></nav><script>var a = '召开会议';</script></body></html>", encoding="utf-8")
    with pytest.raises(ReadError, match="no article found on the web page"):
        read(page)


def test_utf16_without_a_bom_or_any_ascii_goes_to_the_detector(tmp_path):
    text = "北湖区人大常委会工作报告。区人大常委会召开常委会会议十次，作出决议决定八项。" * 4
    path = tmp_path / "u16.txt"
    path.write_bytes(text.encode("utf-16-le"))
    r = read(path)
    assert r.encoding.replace("_", "-").lower() == "utf-16-le" and r.text == text
    assert ("常委会会议", 10, "次", None) in _counts(_quotes_hold(r))


def test_a_folder_of_mixed_formats_is_built_and_each_text_is_kept(tmp_path):
    """The graph's evidence and the kept text agree for every format: what `kg extract` prints too."""
    import json

    from typer.testing import CliRunner

    import kg
    from kg.cli import app

    src = tmp_path / "in"
    src.mkdir()
    pdf(src / "a.pdf", [[HEADER, *wrap(FIRST)], wrap(SECOND)], header=HEADER)
    _docx(src / "b.docx")
    (src / "c.html").write_text(PAGE, encoding="utf-8")
    (src / "d.pdf").write_bytes(b"%PDF-1.7\nbroken")
    result = build([src], tmp_path / "out")
    assert result.exit_code == 3 and [Path(f.path).name for f in result.failed] == ["d.pdf"]
    g = kg.open(tmp_path / "out")
    rows = g.rows("""PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX npc: <https://w3id.org/npc-kg/ontology#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?g ?start ?end ?exact ?page WHERE { GRAPH ?g {
          ?e oa:hasSelector ?p, ?q . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
          ?q a oa:TextQuoteSelector ; oa:exact ?exact .
          OPTIONAL { ?e oa:hasSelector ?f . ?f a oa:FragmentSelector ; dcterms:conformsTo <http://tools.ietf.org/rfc/rfc3778> ; rdf:value ?page }
          FILTER NOT EXISTS { ?link a npc:BodyLink ; <http://www.w3.org/ns/prov#wasDerivedFrom> ?e } } }
        """.replace("SELECT", "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> SELECT")).rows
    assert len({r["g"] for r in rows}) == 3 and len(rows) > 20
    for row in rows:
        kept = text_path(tmp_path / "out", row["g"]).read_text(encoding="utf-8")
        assert kept[row["start"]: row["end"]] == row["exact"]
    assert {r["page"] for r in rows} == {None, "page=1", "page=2"}
    printed = CliRunner().invoke(app, ["extract", str(src / "a.pdf")]).output.splitlines()
    facts = [json.loads(line) for line in printed[1:]]
    pdf_rows = {(r["start"], r["end"], r["exact"]) for r in rows if r["page"]}
    assert {(f["mention_start"], f["mention_end"], f["mention"]) for f in facts} == pdf_rows
    g.close()


def test_a_docx_table_of_bare_numbers_takes_units_from_its_header(tmp_path):
    path = docx_report(tmp_path / "t.docx", "德清县人大常委会2023年工作报告", [FIRST],
                       [("工作", "次数"), ("专题询问", "3"), ("执法检查", "5")], [SECOND])
    got = [(m, v, u) for m, v, u, _ in _counts(_quotes_hold(read(path)))]
    assert ("专题询问", 3, "次") in got and ("执法检查", 5, "次") in got
