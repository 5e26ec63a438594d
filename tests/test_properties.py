"""Property tests: the extractor never raises, and every quote is the text at its offsets."""

from __future__ import annotations

import pytest
from conftest import SEED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.extract import extract
from kg.readers.text import decode
from kg.report import ReadError, from_text

SENTENCES = [s + "。" for s in SEED["jiangxian"].read_text(encoding="utf-8").split("。") if 10 < len(s) < 200][:40]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=5), st.text(max_size=30), st.text(max_size=30))
def test_quotes_point_into_the_text(sentences, before, after):
    text = before + "\n".join(sentences) + after
    try:
        r = from_text(text)
    except ReadError:
        return
    for f in extract(r).facts:
        ev = f.evidence
        assert r.text[ev.start: ev.end] == ev.quote
        assert r.text[ev.mention_start: ev.mention_end] == ev.mention


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_extractor_never_raises_on_arbitrary_unicode(text):
    try:
        r = from_text("县人大常委会" + text)
    except ReadError:
        return
    extract(r)


def _seconds(fn, arg) -> float:
    """The faster of two runs: one slow run is the machine, not the code."""
    import time

    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - t)
    return best


def _read_and_extract(text: str) -> None:
    try:
        extract(from_text(text))
    except ReadError:
        pass


ADVERSARIAL = {  # runs that made the work grow with the square of their length, or could
    "digits": "7", "numerals": "三", "clauses": "召开会议3次，", "percentages": "50%", "law titles": "《",
    "brackets": "（", "spaced characters": "召 开 ", "years": "2023年", "html tags": "<p>会", "glosses": "會(huì)",
}


@pytest.mark.parametrize("unit", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_reading_and_extracting_grow_linearly_with_adversarial_input(unit):
    """Four times the input takes about four times as long, not sixteen (allowing for noise: under 9)."""
    texts = ["县人大常委会工作报告\n" + unit * (n // len(unit)) + "。\n" for n in (4_000, 16_000)]
    small, large = (_seconds(_read_and_extract, t) for t in texts)
    assert large < 9 * max(small, 0.02), (small, large)


@pytest.mark.parametrize("unit", [b"\x00a", b"a\x00", b"\xff", b"\xe4\xbc", b"\x81\x30", b"\x00\x00\xfe"])
def test_decoding_grows_linearly_with_adversarial_bytes(unit):
    def attempt(data: bytes) -> None:
        try:
            decode(data)
        except ReadError:
            pass

    small, large = (_seconds(attempt, unit * (n // len(unit))) for n in (200_000, 800_000))
    assert large < 9 * max(small, 0.005), (small, large)
