"""Word error rate, as the benchmarks count it."""

from __future__ import annotations

import re



def words(text: str) -> list[str]:
    """Lower-case words without punctuation; "100%" and "a hundred percent" alike."""
    text = text.lower().replace("’", "'").replace("%", " percent").replace("&", " and ")
    text = re.sub(r"\b(one |a )?hundred\b", "100", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def edit_distance(a: list[str], b: list[str]) -> int:
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[len(b)]


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word errors, reference words)."""
    ref = words(reference)
    return edit_distance(ref, words(hypothesis)), len(ref)
