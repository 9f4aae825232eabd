"""The unified social credit code (统一社会信用代码) check character, GB 32100-2015.

18 characters from the alphabet below (value = position); the 18th is a
check character: with weights 3^(i-1) mod 31 for positions 1-17,
check value = (31 - sum mod 31) mod 31.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def is_well_formed(code: str) -> bool:
    return len(code) == 18 and all(ch in ALPHABET for ch in code)


def is_valid(code: str) -> bool:
    """True when `code` is well formed and its check character is right."""
    return is_well_formed(code) and check_character(code[:17]) == code[17]
