"""Figures of the voice benchmarks: percentiles, the results table, and
when the speaker started or stopped sounding in a recording."""

from __future__ import annotations

import statistics

from reflectkit.voicerun import Recorder, levels


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def ms(x: float) -> str:
    return f"{x * 1000:.0f} ms"


class Results:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.raw: dict[str, list[float]] = {}

    def add(self, name: str, values: list[float], fmt=ms, target: str = "",
            ok: bool | None = None) -> None:
        self.raw[name] = values
        if not values:
            self.rows.append((name, "no data", "", "0", target))
            return
        med = statistics.median(values)
        verdict = "" if ok is None else (" ✓" if ok else " ✗")
        self.rows.append((name, fmt(med) + verdict, fmt(pct(values, 0.9)), str(len(values)), target))
        print(f"  {name}: median {fmt(med)}, p90 {fmt(pct(values, 0.9))}, n={len(values)}",
              flush=True)

    def table(self) -> str:
        out = ["| measure | median | p90 | runs | target |", "| --- | --- | --- | --- | --- |"]
        out += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in self.rows]
        return "\n".join(out)


def first_sound(rec: Recorder, after: float, threshold: float = 0.003) -> float | None:
    spans = rec.spans(after, threshold=threshold, gap=0.05)
    return spans[0][0] if spans else None


def silent_from(rec: Recorder, after: float, quiet: float = 0.3) -> float | None:
    """Time the speaker fell silent (for ``quiet`` s) after ``after``."""
    i0 = rec.index_at(after)
    lv = levels(rec.pcm()[2 * i0:])
    n, still = int(quiet / 0.01), 0
    for i, v in enumerate(lv):
        still = still + 1 if v < 0.003 else 0
        if still >= n:
            return rec.time_of(i0) + (i - n + 1) * 0.01
    return None
