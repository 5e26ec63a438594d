"""Property tests: the extractor never raises, and every quote is the text at its offsets."""

from __future__ import annotations

from conftest import SEED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.extract import extract
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
