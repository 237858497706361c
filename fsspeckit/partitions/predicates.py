"""Partition predicates: a small text syntax compiled to a callable on a partition dict.

Grammar (keywords ``and``, ``or``, ``not``, ``in``, ``is``, ``null`` in any case)::

    expr       := or
    or         := and ("or" and)*
    and        := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := KEY OP VALUE
                | KEY ["not"] "in" "(" VALUE ("," VALUE)* [","] ")"
                | KEY "is" ["not"] "null"
    OP         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    KEY, VALUE := a bare word (no spaces, quotes, parentheses, commas or
                  comparison signs in a key; none of spaces, parentheses or
                  commas in a value) or a 'single' or "double" quoted string
                  (backslash escapes the next character)

Examples: ``year>=2023``, ``month=01``, ``month != 02``,
``region in (us-east, eu-west)``, ``not (year=2020 or year=2021)``,
``dt >= '2023-06-01' and region = "us east"``, ``month is null``.

Meaning:

* When both the path's value and the literal are numbers (``01``, ``9``,
  ``1.5``, ``-3``, ``1e3``), they compare as numbers: ``month=9`` is below
  ``month=10`` and ``month=01`` equals ``month=1``.
* Otherwise they compare exactly, as text: ``day=1`` never matches ``day=10``,
  and ``<``/``>=`` order by characters, which orders ISO dates
  (``dt>=2023-06-01``) correctly. Quoting a value changes nothing but what
  characters it may hold.
* A comparison on a key the path lacks, or whose value is null
  (``__HIVE_DEFAULT_PARTITION__``), is false, whatever the operator (also for
  ``!=`` and ``not in``); ``not`` then makes it true. ``key is null`` is true
  for a null value, ``key is not null`` for a present, non-null one.
* The empty predicate matches every partition dict.

Errors raise ``PredicateError`` (a ``ValueError``) naming the position and what
was expected.
"""

from __future__ import annotations

import logging
import operator
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from ..exceptions import PredicateError

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def as_number(value: str | None) -> Decimal | None:
    """The value as an exact number, or None when it is not one (``"01"`` → 1, ``"1e3"`` → 1000)."""
    if value is None or not _NUMBER.fullmatch(value.strip()):
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
        return None


logger = logging.getLogger(__name__)

__all__ = ["Predicate", "compile_predicate", "parse_predicate"]

_OPS = {
    "=": operator.eq, "==": operator.eq, "!=": operator.ne, "<>": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_KEYWORDS = {"and", "or", "not", "in", "is", "null"}
_KEY_STOP = set(" \t\r\n()'\",=!<>")
_VALUE_STOP = set(" \t\r\n(),")

Node = tuple  # ("or", a, b) | ("and", a, b) | ("not", a) | ("cmp", key, op, value) | ("in", key, values) | ("null", key) | ("true",)


def _compare(actual: str, op: str, literal: str) -> bool:
    a = as_number(actual)
    b = as_number(literal) if a is not None else None
    if a is not None and b is not None:
        return _OPS[op](a, b)
    return _OPS[op](actual, literal)


def _evaluate(node: Node, parts: Mapping[str, Any]) -> bool:
    tag = node[0]
    if tag == "and":
        return _evaluate(node[1], parts) and _evaluate(node[2], parts)
    if tag == "or":
        return _evaluate(node[1], parts) or _evaluate(node[2], parts)
    if tag == "not":
        return not _evaluate(node[1], parts)
    if tag == "true":
        return True
    key = node[1]
    if tag == "null":
        return key in parts and parts[key] is None
    value = parts.get(key)
    if value is None:
        return False
    value = str(value)
    if tag == "cmp":
        return _compare(value, node[2], node[3])
    if tag == "in":
        return any(_compare(value, "=", v) for v in node[2]) != node[3]
    raise AssertionError(tag)  # pragma: no cover


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    # -- helpers ------------------------------------------------------------
    def error(self, expected: str, pos: int | None = None) -> PredicateError:
        pos = self.pos if pos is None else pos
        found = f"{self.text[pos:pos + 12]!r}" if pos < len(self.text) else "the end"
        return PredicateError(
            f"Invalid partition predicate {self.text!r}: at position {pos + 1}, expected {expected} but found {found}."
        )

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek_word(self) -> str:
        """The bare word at the cursor (lower case), without consuming it."""
        self.skip()
        end = self.pos
        while end < len(self.text) and (self.text[end].isalnum() or self.text[end] == "_"):
            end += 1
        return self.text[self.pos:end].lower()

    def keyword(self, word: str) -> bool:
        """Consume keyword ``word`` when it is next, as a whole word."""
        if self.peek_word() == word:
            self.pos += len(word)
            return True
        return False

    def char(self, c: str) -> bool:
        self.skip()
        if self.text.startswith(c, self.pos):
            self.pos += len(c)
            return True
        return False

    def quoted(self) -> str | None:
        self.skip()
        if self.pos >= len(self.text) or self.text[self.pos] not in "'\"":
            return None
        quote = self.text[self.pos]
        start = self.pos
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if c == quote:
                return "".join(out)
            out.append(c)
        raise self.error(f"a closing {quote} for the quote opened at position {start + 1}", len(self.text))

    def word(self, stop: set[str], what: str) -> str:
        q = self.quoted()
        if q is not None:
            return q
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stop:
            self.pos += 1
        if self.pos == start:
            raise self.error(what)
        return self.text[start:self.pos]

    # -- grammar ------------------------------------------------------------
    def parse(self) -> Node:
        self.skip()
        if self.pos == len(self.text):
            return ("true",)
        node = self.or_()
        self.skip()
        if self.pos != len(self.text):
            raise self.error("'and', 'or' or the end")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.keyword("or"):
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = ("and", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.keyword("not"):
            return ("not", self.unary())
        if self.char("("):
            node = self.or_()
            if not self.char(")"):
                raise self.error("')' or 'and'/'or'")
            return node
        return self.comparison()

    def comparison(self) -> Node:
        self.skip()
        start = self.pos
        key = self.word(_KEY_STOP, "a partition key (e.g. year>=2023)")
        if key.lower() in _KEYWORDS and self.text[start] not in "'\"":
            raise self.error("a partition key (quote it if it is named like a keyword)", start)
        if self.keyword("is"):
            negate = self.keyword("not")
            if not self.keyword("null"):
                raise self.error("'null' after 'is'")
            node = ("null", key)
            return ("not", node) if negate else node
        after_key = self.pos
        negate = self.keyword("not")
        if self.keyword("in"):
            return ("in", key, tuple(self.value_list()), negate)
        if negate:
            raise self.error("'in' after 'not'")
        self.pos = after_key
        self.skip()
        for op in (">=", "<=", "==", "!=", "<>", "=", "<", ">"):
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                break
        else:
            raise self.error(f"a comparison after {key!r} (=, !=, <, <=, >, >=, in, is null)")
        self.skip()
        value = self.word(_VALUE_STOP, f"a value after {op!r}")
        return ("cmp", key, op, value)

    def value_list(self) -> list[str]:
        if not self.char("("):
            raise self.error("'(' after 'in'")
        values = []
        while True:
            self.skip()
            if self.char(")"):
                if not values:
                    raise self.error("at least one value in 'in (...)'", self.pos - 1)
                return values
            values.append(self.word(_VALUE_STOP, "a value or ')'"))
            if self.char(","):
                continue
            if not self.char(")"):
                raise self.error("',' or ')'")
            return values


def parse_predicate(text: str) -> Node:
    """Parse predicate text into a small syntax tree (nested tuples); raises ``PredicateError``."""
    if not isinstance(text, str):
        raise PredicateError(f"A partition predicate must be text or a callable, not {type(text).__name__}.")
    return _Parser(text).parse()


@dataclass(frozen=True)
class Predicate:
    """A compiled partition predicate: call it with a partition dict."""

    text: str
    tree: Node

    def __call__(self, partitions: Mapping[str, Any]) -> bool:
        return _evaluate(self.tree, partitions)

    @property
    def keys(self) -> frozenset[str]:
        """The partition keys the predicate mentions."""
        out: set[str] = set()

        def walk(node):
            if node[0] in ("and", "or"):
                walk(node[1])
                walk(node[2])
            elif node[0] == "not":
                walk(node[1])
            elif node[0] != "true":
                out.add(node[1])

        walk(self.tree)
        return frozenset(out)

    def __str__(self) -> str:
        return self.text


def compile_predicate(predicate: str | Callable[[Mapping[str, Any]], bool] | None) -> Callable[[Mapping[str, Any]], bool]:
    """A callable ``(partition dict) -> bool`` from predicate text; a callable passes through.

    ``None`` and blank text match everything. See the module docstring for the syntax.
    """
    if predicate is None:
        return Predicate("", ("true",))
    if callable(predicate):
        return predicate
    return Predicate(predicate, parse_predicate(predicate))
