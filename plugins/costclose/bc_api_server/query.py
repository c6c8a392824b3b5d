"""OData v4 query options the BC-shaped server understands, translated to SQL.

``$filter`` (comparisons ``eq ne gt ge lt le`` on an entity's properties, ``and``/``or``/``not``,
parentheses, literals: integers, decimals, ``'text'``, dates, date-times, GUIDs, ``true``/``false``/
``null``; enum literals XML-encoded as BC expects), ``$skiptoken`` (the key of the last entity sent),
``$apply=aggregate(Prop with sum|min|max|average as Alias, ...)`` and ``$top``. Every value reaches
PostgreSQL as a query parameter and every name as a ``sql.Identifier``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from psycopg2 import sql

from costclose.bc_api_client import decode_enum, odata_literal


class ODataQueryError(ValueError):
    """A query option the server cannot parse; answered as HTTP 400 BadRequest."""


@dataclass(frozen=True)
class Prop:
    """One property of an entity: its OData name, the SQL that computes it, and its kind."""

    name: str
    expr: sql.Composable
    kind: str  # int, dec, text, enum, date, datetime, bool, guid


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lpar>\() | (?P<rpar>\)) | (?P<comma>,)
    | (?P<string>'(?:[^']|'')*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)
    | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)

_OPS = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ODataQueryError(f"cannot parse {text[pos:]!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def typed_literal(kind: str, token: tuple[str, str], prop: str) -> Any:  # noqa: PLR0911 - one return per EDM type
    """Convert a literal token to the Python value of a property of ``kind``."""
    tkind, text = token
    if tkind == "word" and text == "null":
        return None
    try:
        if tkind == "string":
            text = text[1:-1].replace("''", "'")
        if kind == "int":
            return int(text)
        if kind == "dec":
            return Decimal(text)
        if kind == "bool":
            if text not in ("true", "false"):
                raise ODataQueryError(f"{prop}: {text!r} is not a boolean")
            return text == "true"
        if kind == "date":
            return date.fromisoformat(text)
        if kind == "datetime":
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        if kind == "guid":
            return uuid.UUID(text)
        if kind == "enum":
            return decode_enum(text)
        return text
    except (ValueError, InvalidOperation) as exc:
        raise ODataQueryError(f"{prop}: {text!r} is not a valid {kind} value") from exc


class _FilterParser:
    def __init__(self, tokens: list[tuple[str, str]], props: dict[str, Prop]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.props = props
        self.params: list[Any] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ODataQueryError("unexpected end of $filter")
        self.pos += 1
        return tok

    def expr(self) -> sql.Composable:
        parts = [self.and_expr()]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else sql.SQL("({})").format(sql.SQL(" or ").join(parts))

    def and_expr(self) -> sql.Composable:
        parts = [self.unary()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else sql.SQL("({})").format(sql.SQL(" and ").join(parts))

    def unary(self) -> sql.Composable:
        if self.peek() == ("word", "not"):
            self.take()
            return sql.SQL("(not {})").format(self.unary())
        if self.peek() == ("lpar", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("rpar", ")"):
                raise ODataQueryError("missing ')' in $filter")
            return inner
        return self.comparison()

    def comparison(self) -> sql.Composable:
        kind, name = self.take()
        if kind != "word" or name not in self.props:
            raise ODataQueryError(f"Could not find a property named '{name}'.")
        prop = self.props[name]
        op_kind, op = self.take()
        if op_kind != "word" or op not in _OPS:
            raise ODataQueryError(f"unsupported operator {op!r} after {name}")
        value = typed_literal(prop.kind, self.take(), name)
        if value is None:
            if op not in ("eq", "ne"):
                raise ODataQueryError(f"{name} {op} null is not a comparison")
            return sql.SQL("({} is {}null)").format(prop.expr, sql.SQL("" if op == "eq" else "not "))
        self.params.append(value)
        return sql.SQL("({} {} %s)").format(prop.expr, sql.SQL(_OPS[op]))


def parse_filter(text: str, props: dict[str, Prop]) -> tuple[sql.Composable, list[Any]]:
    """``$filter`` text -> (SQL condition, parameters)."""
    parser = _FilterParser(tokenize(text), props)
    cond = parser.expr()
    if parser.peek() is not None:
        raise ODataQueryError(f"unexpected {parser.peek()[1]!r} in $filter")  # type: ignore[index]
    return cond, parser.params


def make_skiptoken(values: list[Any]) -> str:
    """BC's ``$skiptoken``: the key values of the last entity sent, as OData literals."""
    return ",".join(odata_literal(v) for v in values)


def parse_skiptoken(text: str, keys: list[Prop]) -> list[Any]:
    tokens = [t for t in tokenize(text) if t[0] != "comma"]
    if len(tokens) != len(keys):
        raise ODataQueryError(f"$skiptoken {text!r} does not match the key ({len(keys)} values)")
    return [typed_literal(k.kind, t, k.name) for k, t in zip(keys, tokens, strict=True)]


_AGG = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+with\s+(sum|min|max|average)\s+as\s+([A-Za-z_][A-Za-z0-9_]*)\s*$"
)
_AGG_SQL = {"sum": "sum", "min": "min", "max": "max", "average": "avg"}


def parse_apply(text: str, props: dict[str, Prop]) -> list[tuple[sql.Composable, str]]:
    """``aggregate(P with sum as A, ...)`` -> [(SQL aggregate expression, alias)]."""
    m = re.fullmatch(r"\s*aggregate\((.*)\)\s*", text)
    if not m:
        raise ODataQueryError("only $apply=aggregate(...) is supported")
    out: list[tuple[sql.Composable, str]] = []
    for part in m.group(1).split(","):
        am = _AGG.match(part)
        if not am or am.group(1) not in props:
            raise ODataQueryError(f"cannot aggregate {part.strip()!r}")
        prop = props[am.group(1)]
        func = sql.SQL(_AGG_SQL[am.group(2)])
        expr: sql.Composable = sql.SQL("{}({})").format(func, prop.expr)
        if am.group(2) == "sum":
            expr = sql.SQL("coalesce({}, 0)").format(expr)
        out.append((expr, am.group(3)))
    return out
