"""Plain text files: bytes → text in whichever encoding a Chinese report comes in."""

from __future__ import annotations

from pathlib import Path

from kg.readers import Read, ReadError


def read(data: bytes, path: str | Path) -> Read:
    text, encoding = decode(data, path)
    return Read(text, encoding)


MAX_DETECT = 256 * 1024  # bytes the detector looks at: enough to tell, and its time stays bounded
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# A handful of very common characters in congress reports, simplified and traditional: a decoding
# that yields many of them is the right one (GB18030 decodes Big5 bytes without error, as gibberish).
_COMMON = set("的人大会代表工作委员常监督法建议县市区议报告开展全年次件项和在了为国政府民主审")
_COMMON |= set("會員們為國際門選舉議審開對與時區縣監")


def _cjk_score(text: str) -> float:
    return sum(ch in _COMMON for ch in text) / max(1, len(text))


def decode(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """The text and the encoding it was in; ReadError when it is not text."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc), enc
    head = data[:4096]
    if b"\x00" in head:
        # UTF-16 without a BOM: the NUL bytes of ASCII characters fall on one side of each pair (a
        # count, not a regular expression: the old pattern backtracked exponentially on some pages)
        even, odd = head[0::2].count(0), head[1::2].count(0)
        for enc in (("utf-16-le", "utf-16-be") if odd >= even else ("utf-16-be", "utf-16-le")):
            try:
                text = data[: len(data) // 2 * 2].decode(enc)
            except UnicodeDecodeError:
                continue
            if _cjk_score(text) > 0.02:
                return text, enc
        guess = _detected(data)
        if guess is not None:
            return guess
        raise ReadError(path, "a binary file (it contains NUL bytes), not a text report")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_error = e
    best: tuple[float, str, str] | None = None
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _cjk_score(text)
        if best is None or score > best[0]:
            best = (score, text, enc)
    if best is not None and best[0] >= 0.01:
        return best[1], best[2]
    guess = _detected(data)
    if guess is not None:
        return guess
    line = data[: utf8_error.start].count(b"\n") + 1
    raise ReadError(path, "not text in UTF-8, GB18030, Big5 or another encoding charset-normalizer knows (undecodable bytes)", line)


def _detected(data: bytes) -> tuple[str, str] | None:
    """What charset-normalizer makes of bytes the checks above refuse (UTF-16 with little ASCII,
    HZ, EUC-TW …), kept only when it reads as Chinese: a detector finds some encoding for any bytes."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:MAX_DETECT]).best()
    if best is None or best.encoding in ("ascii", "utf_8"):
        return None
    try:
        text = data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    return (text, best.encoding) if _cjk_score(text) > 0.02 else None
