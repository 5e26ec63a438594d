"""Stored queries: ``queries/*.rq`` with a grlc ``#+ `` YAML header, bound by one VALUES block.

The files follow grlc's conventions, so that grlc serves them as a web API unchanged: a parameter is
a variable named ``?__<name>_<type>`` (``_zh`` a Chinese label, ``_xsd_gYear`` a year, ``_iri`` an
IRI or concept), ``summary`` is a plain string (the Chinese one is ``summary_zh``) and ``defaults``
gives default values. A parameter variable appears only where grlc may put a constant in its place
(triple patterns and expressions), so an unbound one means "any".

kg binds the same variables differently: values are turned into SPARQL terms here (escaped
literals, checked IRIs, concepts of a scheme) and inserted as a ``VALUES`` block right after the
query's first ``WHERE {`` — the same text for the embedded store and a remote endpoint. Nothing a
user types is ever pasted into the query.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kg import lexicon
from kg.paths import QUERIES, require

XSD = "http://www.w3.org/2001/XMLSchema#"
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_IRI_BAD = re.compile(r'[\s<>"{}|^`\\]')


class ParamError(ValueError):
    """A parameter value that is not allowed, with the reason."""


def _is_text(value: str) -> bool:
    """False for a command-line argument whose bytes were not UTF-8 (Python keeps them as surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_SUFFIX = {"string": "", "label": "_zh", "integer": "_integer", "year": "_xsd_gYear", "iri": "_iri"}
_GRLC_VARIABLE = re.compile(r"\?(_{1,2}[a-zA-Z0-9]+\w*)")


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "string"  # string | label (a zh label, matched through the index) | integer | year | iri | concept:<scheme>
    default: Any = None
    allowed: tuple[str, ...] = ()
    description: str = ""

    @property
    def variable(self) -> str:
        """The query variable that grlc makes an optional parameter of this name and type."""
        return f"__{self.name}{_SUFFIX.get(self.type, '_iri')}"

    def term(self, value: Any) -> str:
        """The SPARQL term for ``value``: the only path from user input into a query.

        >>> print(Param("body", "label").term('x" } ; DROP ALL ; #'))
        "x\\" } ; DROP ALL ; #"@zh
        >>> Param("mechanism", "concept:mechanism").term("dual-contact")
        '<https://w3id.org/npc-kg/mechanism/dual-contact>'
        """
        if isinstance(value, str) and not _is_text(value):
            raise ParamError(f"{self.name} is not valid UTF-8 text: {value.encode('utf-8', 'surrogateescape')!r}")
        if self.allowed and str(value) not in self.allowed:
            raise ParamError(f"{self.name}={value!r} is not one of: {', '.join(self.allowed)}")
        if self.type in ("string", "label"):
            esc = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
            return f'"{esc}"@zh' if self.type == "label" else f'"{esc}"'
        if self.type in ("integer", "year"):
            if not re.fullmatch(r"-?\d+", str(value).strip()):
                raise ParamError(f"{self.name} must be a whole number, not {value!r}")
            n = int(str(value).strip())
            return f'"{n:04d}"^^<{XSD}gYear>' if self.type == "year" else f'"{n}"^^<{XSD}integer>'
        if self.type == "iri":
            if _IRI_BAD.search(str(value)) or ":" not in str(value):
                raise ParamError(f"{self.name} is not an IRI: {value!r}")
            return f"<{value}>"
        if self.type.startswith("concept:"):
            scheme = self.type.split(":", 1)[1]
            ids = [c.id for c in lexicon.concepts(scheme)]
            if str(value) not in ids:
                raise ParamError(f"{self.name}={value!r} is not a concept of the {scheme} scheme: {', '.join(ids)}")
            return f"<{lexicon.SCHEMES[scheme][str(value)]}>"
        raise ParamError(f"{self.name}: unknown parameter type {self.type!r}")


@dataclass(frozen=True)
class StoredQuery:
    name: str
    summary: dict[str, str]
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    text: str
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def bind(self, values: dict[str, Any] | None = None) -> str:
        """The query text with one VALUES block for the parameters that have a value."""
        values = dict(values or {})
        known = {p.name for p in self.params}
        unknown = set(values) - known
        if unknown:
            raise ParamError(f"{self.name} has no parameter {', '.join(sorted(unknown))}; it takes: {', '.join(sorted(known)) or 'none'}")
        bound = [(p, values.get(p.name, p.default)) for p in self.params]
        bound = [(p, v) for p, v in bound if v is not None and v != ""]
        if not bound:
            return self.text
        text = _with_values(self.text, [f"?{p.variable}" for p, _ in bound], [p.term(v) for p, v in bound], self.name)
        _checked.put(text, uses_service(self.text))  # terms are escaped literals and checked IRIs: no keyword comes in with them
        return text


def _with_values(text: str, names: list[str], terms: list[str], name: str = "the query") -> str:
    """``text`` with one VALUES row of these variables in every group that has a WHERE (a sub-select
    does not see its parent's values); one row, so a group that does not use a variable is not
    changed by it. Where a row was bound before (a page of bound parameters), it takes the new
    variables too: Oxigraph joins two VALUES blocks after reading the rest of the group (a page of
    a ranked list took 80 ms instead of 16)."""
    ends = [m.end() for m in _WHERE.finditer(strip_comments(text))]
    if not ends:
        raise ParamError(f"{name}: no WHERE {{ to bind parameters in")
    out, last = [], 0
    for end in ends:
        before = _BOUND.match(text, end)
        bound_names, bound_terms = (before.group(1).split(" "), [before.group(2)]) if before else ([], [])
        out += [text[last:end], f"\n  VALUES ({' '.join([*bound_names, *names])}) {{ ({' '.join([*bound_terms, *terms])}) }}\n"]
        last = before.end() if before else end
    return "".join(out) + text[last:]


# a VALUES row this module wrote: its terms hold no line break (literals escape it), so ") }" and a new line end it
_BOUND = re.compile(r"\n  VALUES \(([^)\n]*)\) \{ \((.*?)\) \}\n")


# What a SERVICE keyword may hide in: strings, IRIs and comments (in this order at each position). A
# comment ends at any line terminator (the grammar's EOL is \n or \r; ending it at the first of any
# makes more of the text visible to the check, never less).
_EOL = "\n\r\x0b\x0c\x85\u2028\u2029"
_SKIPPED = (r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|'
            rf"#[^{_EOL}]*")
_SERVICE = re.compile(rf"(?:{_SKIPPED})|(?<![\w?$:])(SERVICE)(?![\w:-])", re.IGNORECASE)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape_codepoints(sparql: str) -> str:
    """SPARQL's \\uXXXX and \\UXXXXXXXX escapes, which the grammar applies to the whole query text before
    parsing it (\\u0053ERVICE is SERVICE)."""
    def char(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group()

    return _CODEPOINT.sub(char, sparql)


def _algebra_has_service(sparql: str) -> bool:
    """Whether rdflib's parse of the query holds a SERVICE pattern (False when rdflib cannot parse it:
    the lexical check below decides then)."""
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(sparql)
    except Exception:  # pyparsing's errors, recursion on absurd nesting: the lexical check decides
        return False

    def walk(node: object) -> bool:
        if getattr(node, "name", None) == "ServiceGraphPattern":
            return True
        if isinstance(node, dict):
            return any(walk(v) for v in node.values())
        if isinstance(node, list | tuple):
            return any(walk(v) for v in node)
        return False

    return walk(tree)


def uses_service(sparql: str) -> bool:
    r"""Whether a query calls another endpoint with SERVICE (not a variable, IRI, string or comment
    that spells the word): in the parsed query, or anywhere the word stands as a keyword once escapes
    are undone and comments end at any line terminator. Either finding refuses.

    >>> uses_service('SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }'), uses_service('SELECT ?service { ?s <urn:SERVICE> "SERVICE" } # SERVICE')
    (True, False)
    >>> uses_service('SELECT * { # a comment a carriage return ends\r SERVICE <http://x/sparql> { ?s ?p ?o } }')
    True
    >>> uses_service('SELECT * { \\u0053ERVICE <http://x/sparql> { ?s ?p ?o } }')
    True
    """
    known = _checked.get(sparql)
    if known is not None:
        return known
    text = unescape_codepoints(sparql)
    verdict = any(m.group(1) for m in _SERVICE.finditer(text)) or _algebra_has_service(text)
    _checked.put(sparql, verdict)
    return verdict


class _Verdicts:
    """The last few thousand texts checked for SERVICE, and the texts bound from them: rdflib's parse
    costs 0.1 s a query, more than the answer of a selective one, and the build asks the same table
    queries of every report."""

    def __init__(self, size: int = 4096) -> None:
        self.size, self.seen = size, OrderedDict[str, bool]()

    def get(self, text: str) -> bool | None:
        verdict = self.seen.get(text)
        if verdict is not None:
            self.seen.move_to_end(text)
        return verdict

    def put(self, text: str, verdict: bool) -> None:
        self.seen[text] = verdict
        self.seen.move_to_end(text)
        if len(self.seen) > self.size:
            self.seen.popitem(last=False)


_checked = _Verdicts()


class ServiceRefused(ParamError):
    """A query that would make the store call another server (SPARQL SERVICE)."""




def refuse_service(sparql: str, allowed: bool = False) -> None:
    """Queries stay local: a SERVICE call would send the query's data to another server and print
    what comes back (or read file: and data: URLs), so it runs only when the user opts in."""
    if not allowed and uses_service(sparql):
        raise ServiceRefused("the query calls another server with SERVICE: refused (opt in with --allow-service)")


_WINDOW = re.compile(r"^#\+\s*window:\s*(\w+)", re.MULTILINE)


def window(sparql: str) -> str | None:
    """The column that holds the total of a windowed query (``#+ window: column`` in its header): one
    that reads a page itself, from ranked lists the build writes, between ?window_first and
    ?window_last (0-based ranks; unbound, all of them)."""
    m = _WINDOW.search(sparql)
    return m.group(1) if m else None


def page(sparql: str, limit: int | None, offset: int = 0) -> str:
    """A SELECT a page at a time: LIMIT and OFFSET after its ORDER BY (every stored query orders every
    column, so a page is the same rows on every engine); a windowed query gets the page's ranks
    bound instead, so that the store reads that page and not every row before it."""
    if limit is None and not offset:
        return sparql
    if (limit is not None and limit < 0) or offset < 0:
        raise ParamError("--limit and --offset are numbers of rows, not below 0")
    if window(sparql):
        last = str(offset + int(limit) - 1) if limit is not None else "UNDEF"
        text = _with_values(sparql, ["?window_first", "?window_last"], [str(int(offset)), last])
    else:
        text = f"{sparql.rstrip()}\n{f'LIMIT {int(limit)} ' if limit is not None else ''}OFFSET {int(offset)}\n"
    _checked.put(text, uses_service(sparql))  # numbers added: no keyword comes in with them
    return text


def total(sparql: str) -> str:
    """How many rows a SELECT answers in all, as one query: the SELECT as a sub-select under a COUNT
    (its PREFIX lines stay on top); for a windowed query, its total column read from its first row."""
    column = window(sparql)
    source = page(sparql, 1, 0) if column else sparql
    at = re.search(r"\bSELECT\b", strip_comments(source), re.IGNORECASE)
    if at is None:
        raise ParamError("only a SELECT query has pages")
    head = f"SELECT (COALESCE(MAX(?{column}), 0) AS ?total)" if column else "SELECT (COUNT(*) AS ?total)"
    text = f"{source[: at.start()]}{head} WHERE {{ {{ {source[at.start():]} }} }}"
    _checked.put(text, uses_service(sparql))
    return text


def strip_comments(text: str) -> str:
    """Comments blanked out (same length) so that WHERE in a comment is not taken for the real one."""
    return re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), text)


def parse(text: str, path: str = "<query>") -> StoredQuery:
    """A stored query from its text; its parameters are the grlc variables of the text, each
    declared under ``params`` with its type and description (an undeclared or unused one is an error)."""
    header = "\n".join(line[3:] for line in text.splitlines() if line.startswith("#+ "))
    try:
        meta = yaml.safe_load(header) if header.strip() else {}
    except yaml.YAMLError as e:
        raise ParamError(f"{path}: its '#+ ' lines are a header in YAML, and this one is not ({str(e).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise ParamError(f"{path}: its '#+ ' lines are a header of 'key: value' lines (name, summary, params)")
    name = meta.get("name") or Path(path).stem
    summary = {"en": str(meta.get("summary") or ""), "zh": str(meta.get("summary_zh") or "")}
    defaults = {k: v for d in meta.get("defaults", []) or [] for k, v in d.items()}
    params = tuple(
        Param(p["name"], p.get("type", "string"), _default(p.get("type", "string"), defaults.get(p["name"])),
              tuple(map(str, p.get("enum", p.get("allowed", ())) or ())), p.get("description", ""))
        for p in meta.get("params", []) or []
    )
    used = set(_GRLC_VARIABLE.findall(text))  # as grlc reads them: in the header and comments too
    declared = {p.variable for p in params}
    if used != declared:
        raise ParamError(f"{path}: parameter variables {sorted(used)} in the query, {sorted(declared)} declared under params "
                         "(a parameter of name N and type T is the variable ?__N with grlc's suffix for T)")
    return StoredQuery(name, summary, tuple(meta.get("tags", []) or []), params, text, str(path), meta)


def _default(type_: str, value: Any) -> Any:
    """A default as kg takes it: grlc's defaults name a concept by its IRI, kg by its local name."""
    if value is None or not type_.startswith("concept:"):
        return value
    scheme = lexicon.SCHEMES[type_.split(":", 1)[1]]
    return str(value).removeprefix(str(scheme)) if str(value).startswith(str(scheme)) else value


@cache
def stored(folder: Path = QUERIES) -> dict[str, StoredQuery]:
    """Every stored query by name, parsed once."""
    out = {}
    for p in require(folder, "*.rq"):
        q = parse(p.read_text(encoding="utf-8"), str(p))
        out[q.name] = q
        if folder == QUERIES and not any(m.group(1) for m in _SERVICE.finditer(unescape_codepoints(q.text))):
            _checked.put(q.text, False)  # the project's own files (tests/test_queries.py parses each): no rdflib parse per process
    return out


def get(name: str) -> StoredQuery:
    qs = stored()
    if name not in qs:
        raise KeyError(f"no stored query {name!r}; try one of: {', '.join(qs)}")
    return qs[name]
