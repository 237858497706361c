"""The partition predicate syntax: grammar, comparison rules, errors."""

from __future__ import annotations

import pytest

from fsspeckit import FsspeckitError, PredicateError, compile_predicate
from fsspeckit.partitions.hive import compile_predicate as lazy_compile
from fsspeckit.partitions.predicates import Predicate

P = {"year": "2023", "month": "09", "day": "1", "region": "us-east", "dt": "2023-06-15", "nul": None}


@pytest.mark.parametrize("text, expected", [
    ("year>=2023", True),
    ("year>2023", False),
    ("month=09", True),
    ("month=9", True),  # numbers compare as numbers: 09 == 9
    ("month=01", False),
    ("month!=02", True),
    ("month<>09", False),
    ("month<10", True),  # 9 < 10, not "09" vs "10" by chance
    ("day=1", True),
    ("day=10", False),  # day=1 never matches day=10
    ("day<10", True),
    ("day in (10, 11)", False),
    ("region in (us-east, eu-west)", True),
    ("region IN ('eu-west', \"us-east\")", True),
    ("region not in (us-east)", False),
    ("region=us", False),
    ("region>=us", True),  # text order between non-numbers
    ("dt>=2023-06-01", True),
    ("dt<'2023-06-15'", False),
    ("not year=2022", True),
    ("NOT (year=2023 Or month=1)", False),
    ("year=2022 or month=9 and day=1", True),  # and binds tighter
    ("(year=2022 or month=9) and day=2", False),
    ("missing=1", False),
    ("missing!=1", False),  # a key the path lacks: every comparison is false
    ("not missing=1", True),
    ("missing not in (1)", False),
    ("nul=x", False),
    ("nul!=x", False),
    ("nul is null", True),
    ("year is null", False),
    ("year is not null", True),
    ("missing is null", False),
    ("", True),
    ("   ", True),
    ("year == 2023.0", True),
    ("year >= 2.023e3", True),
])
def test_semantics(text, expected):
    assert compile_predicate(text)(P) is expected


def test_values_with_odd_characters():
    parts = {"k": "a b", "p": "x=y", "q": "it's"}
    assert compile_predicate("k='a b'")(parts)
    assert compile_predicate("p=x=y")(parts)
    assert compile_predicate(r"q='it\'s'")(parts)
    assert compile_predicate('"and"=1')({"and": "1"})  # a key named like a keyword, quoted


def test_callables_pass_through_and_none_matches_all():
    def f(parts):
        return parts.get("year") == "2023"

    assert compile_predicate(f) is f
    assert lazy_compile(f) is f
    assert compile_predicate(None)({}) is True
    pred = lazy_compile("year>=2023 and region in (a, b)")
    assert isinstance(pred, Predicate)
    assert pred.keys == {"year", "region"}
    assert str(pred) == "year>=2023 and region in (a, b)"


@pytest.mark.parametrize("text, position, expected", [
    ("year>=", 7, "a value after '>='"),
    ("year 2023", 6, "a comparison after 'year'"),
    ("(year=1", 8, "')'"),
    ("year in 1", 9, "'(' after 'in'"),
    ("year in ()", 10, "at least one value"),
    ("year in (1 2)", 12, "',' or ')'"),
    ("and=1", 1, "a partition key"),
    ("a='x", 5, "a closing '"),
    ("a=1 b=2", 5, "'and', 'or' or the end"),
    ("a=1 and", 8, "a partition key"),
    ("a not b", 7, "'in' after 'not'"),
    ("a is b", 6, "'null' after 'is'"),
    ("=1", 1, "a partition key"),
])
def test_errors_name_position_and_expectation(text, position, expected):
    with pytest.raises(PredicateError) as info:
        compile_predicate(text)
    message = str(info.value)
    assert f"at position {position}," in message
    assert expected in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, FsspeckitError)


def test_non_text_is_refused():
    with pytest.raises(PredicateError, match="text or a callable"):
        compile_predicate(2023)


def test_a_bad_predicate_stops_a_sync_before_anything_is_written(local_tree):
    from fsspeckit import filesystem, sync_dir

    src = local_tree({"year=2023/a.csv": b"a"}, name="src")
    dst = local_tree({"year=2022/b.csv": b"b"}, name="dst")
    with pytest.raises(PredicateError, match="position 6"):
        sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), partitions="year>")
    assert sorted(p.name for p in dst.rglob("*.csv")) == ["b.csv"]
