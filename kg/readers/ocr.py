"""OCR of scanned PDF pages, with the PP-OCRv4 models that ship inside rapidocr-onnxruntime (nothing
is downloaded). Slow (seconds a page on two cores: bench/formats.py), so only asked for with
``kg build --ocr`` and only for pages without a text layer; the report records which pages."""

from __future__ import annotations

from functools import cache
from typing import Any

DPI = 150  # A4 at 150 dpi: characters of body text are ~30 px high, which the recogniser reads well
LINE_GAP = 0.5  # boxes whose centres are within half a line's height are one line


@cache
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as e:
        raise RuntimeError("OCR needs the package rapidocr-onnxruntime (pip install 'npc-kg[ocr]')") from e
    return RapidOCR()


def read_page(page: Any) -> str:
    """The text of one pypdfium2 page image, line by line in reading order (top to bottom, then
    left to right within a line)."""
    import numpy as np

    image = page.render(scale=DPI / 72).to_pil().convert("RGB")
    found, _ = _engine()(np.asarray(image), use_cls=False)  # no line-angle classifier: pages are upright, and it misread more
    boxes = []
    for box, text, _score in found or []:
        ys = [p[1] for p in box]
        boxes.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(p[0] for p in box), text))
    boxes.sort()
    lines: list[list[tuple[float, str]]] = []
    last_y, last_h = None, 0.0
    for y, h, x, text in boxes:
        if last_y is None or y - last_y > LINE_GAP * max(h, last_h):
            lines.append([])
            last_y, last_h = y, h
        lines[-1].append((x, text))
    return "\n".join("".join(t for _, t in sorted(line)) for line in lines) + "\n"
