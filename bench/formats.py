"""python -m bench.formats: reading reports as they are published, on this machine.

Prints pages per second for PDF text layers (pypdfium2, which kg.readers uses, and pdfplumber and
pypdf where installed, for the choice), seconds per OCR'd A4 page with the share of characters
read right, the OCR'd page's counts scored against the same page's text layer, and the end-to-end
rate of a folder of mixed formats (txt, html, pdf, docx) built by ``kg build``.
Targets (issue "Reports as they are published"): text-layer PDF ≥ 20 pages/s per process; OCR ≤ 5 s
per dense A4 page on 2 cores.
"""

from __future__ import annotations

import difflib
import re
import shutil
import tempfile
import time
from pathlib import Path

from bench.documents import docx_report, pdf, wrap
from kg.build import build
from kg.extract import extract
from kg.paths import SEEDS
from kg.readers import read as read_file
from kg.report import read

LINES_PER_PAGE = 32  # bench.documents.pdf puts 32 lines of 12 pt on an A4 page: a dense page of ~1,400 characters


def seed_lines() -> list[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    return [line for para in text.split("\n") if para.strip() for line in wrap(para.strip(), 44)]


def pages_of(lines: list[str], n: int) -> list[list[str]]:
    return [lines[(i * LINES_PER_PAGE) % (len(lines) - LINES_PER_PAGE):][:LINES_PER_PAGE] for i in range(n)]


def per_second(fn, n: int, repeat: int = 3) -> float:
    best = min(_seconds(fn) for _ in range(repeat))
    return n / best


def _seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def text_layers(where: Path, n: int = 50) -> None:
    made = pdf(where / "dense.pdf", pages_of(seed_lines(), n), header="某县人民代表大会常务委员会工作报告")
    print(f"text-layer PDF, {n} dense A4 pages:")
    print(f"  kg.readers (pypdfium2)  {per_second(lambda: read_file(made), n):7.1f} pages/s")
    try:
        import pdfplumber

        def plumber() -> None:
            with pdfplumber.open(made) as doc:
                [p.extract_text() for p in doc.pages]

        print(f"  pdfplumber              {per_second(plumber, n, 1):7.1f} pages/s")
    except ImportError:
        print("  pdfplumber              not installed")
    try:
        import pypdf

        print(f"  pypdf                   {per_second(lambda: [p.extract_text() for p in pypdf.PdfReader(made).pages], n, 1):7.1f} pages/s")
    except ImportError:
        print("  pypdf                   not installed")


def ocr(where: Path) -> None:
    text = "".join(p.read_text(encoding="utf-8").replace("\n", "") for p in sorted(SEEDS.glob("*.txt")))
    lines = wrap(text[2000:], 44)[:LINES_PER_PAGE - 2]  # a dense page: 30 full lines
    truth = "".join(lines)
    layer = pdf(where / "layer.pdf", [lines])
    scan = pdf(where / "scan.pdf", [], image_pages={1: lines})
    read(scan, ocr=True)  # load the models once
    t = time.perf_counter()
    r = read(scan, ocr=True)
    seconds = time.perf_counter() - t
    got = re.sub(r"\s", "", r.text)
    right = difflib.SequenceMatcher(None, truth, got, autojunk=False).ratio()
    print(f"OCR, one A4 page of {len(truth)} characters at 150 dpi: {seconds:.1f} s, {right:.1%} of characters right")
    want = {(c.measure, c.value, c.unit) for c in extract(read(layer)).counts}
    have = {(c.measure, c.value, c.unit) for c in extract(r).counts}
    both = len(want & have)
    print(f"  its counts against the same page's text layer: {len(want)} in the layer, {len(have)} from OCR, "
          f"P={both / max(1, len(have)):.2f} R={both / max(1, len(want)):.2f}")


def mixed_folder(where: Path, copies: int = 8) -> None:
    src = where / "mixed"
    src.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(copies):
        for seed in seeds:
            text = seed.read_text(encoding="utf-8") + f"\n（第{i}份）\n"
            paras = [p for p in text.split("\n") if p.strip()]
            kind = (i + seeds.index(seed)) % 4
            if kind == 0:
                (src / f"{i}-{seed.stem}.txt").write_text(text, encoding="utf-8")
            elif kind == 1:
                body = "".join(f"<p>{p}</p>" for p in paras[1:])
                (src / f"{i}-{seed.stem}.html").write_text(
                    f"<html><head><title>{paras[0]}</title></head><body><div class='nav'>首页</div><article><h1>{paras[0]}</h1>"
                    f"{body}</article><div class='foot'>版权所有</div></body></html>", encoding="utf-8")
            elif kind == 2:
                lines = [line for p in paras for line in wrap(p, 44)]
                pdf(src / f"{i}-{seed.stem}.pdf", [lines[j:j + LINES_PER_PAGE] for j in range(0, len(lines), LINES_PER_PAGE)])
            else:
                docx_report(src / f"{i}-{seed.stem}.docx", paras[0], paras[1:])
    files = sorted(src.iterdir())
    t = time.perf_counter()
    result = build([src], where / "out")
    seconds = time.perf_counter() - t
    kinds = sorted({f.suffix for f in files})
    print(f"mixed folder: {len(files)} files ({', '.join(kinds)}), built {len(result.files) - len(result.failed)} "
          f"in {seconds:.1f} s = {len(files) / seconds:.1f} files/s (one process, models loaded once)")


def main() -> None:
    where = Path(tempfile.mkdtemp(prefix="npc-kg-formats-"))
    try:
        text_layers(where)
        ocr(where)
        mixed_folder(where)
    finally:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
