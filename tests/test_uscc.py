from __future__ import annotations

import pytest

from cardctl import uscc


def test_standard_example_is_valid() -> None:
    assert uscc.is_valid("91350100M000100Y43")
    assert uscc.check_character("91350100M000100Y4") == "3"


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100Y4I", "9135O100M000100Y43"])
def test_invalid_codes(code: str) -> None:
    assert not uscc.is_valid(code)


@pytest.mark.parametrize("first", ["N", "Y", "A", "1", "5"])
def test_codes_starting_with_any_class_are_checked_the_same_way(first: str) -> None:
    body = first + "1350100M000100Y4"
    good = body + uscc.check_character(body)
    assert uscc.is_valid(good)
    wrong = uscc.ALPHABET[(uscc.ALPHABET.index(good[-1]) + 1) % 31]
    assert not uscc.is_valid(body + wrong)
