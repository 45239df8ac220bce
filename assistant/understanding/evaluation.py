"""`reflect nlu --eval FILE`: per-intent precision and recall over a file.

FILE is a TSV with a header: intent, section, text and optionally step
("section_id.step_id": the answer is then understood as at that step).
A .txt file is a list of utterances that should all be understood as none.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

from assistant.content.files import ContentError
from assistant.content.phrases import load_guards
from assistant.understanding.decide import decide
from assistant.understanding.match import NONE


def _rows(path: Path) -> list[dict]:
    try:
        if path.suffix == ".txt":
            return [{"intent": NONE, "section": "", "text": line.strip(), "step": ""}
                    for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.startswith("#")]
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except OSError as e:
        raise ContentError(f"{path}: cannot be read: {e.strerror}") from None
    if rows and not {"intent", "text"} <= set(rows[0]):
        raise ContentError(f"{path}: needs a header with the columns intent, section, text")
    return rows


@lru_cache(maxsize=1)
def _guards() -> dict[str, tuple[str, ...]]:
    return load_guards()


def says_command(matcher, text: str, guards=None) -> bool:
    """Is ``text`` a spoken command the engine would act on at an open question?
    ``guards``: the markers guarded commands need there (content/guards.toml
    when None)."""
    return decide(matcher, text, guards=_guards() if guards is None else guards,
                  open_question=True).command


def predict(content, text: str, step: str = "") -> tuple[str, str]:
    """The intent (and section) the engine would act on (at ``step``,
    "section_id.step_id", when given)."""
    st = None
    if step:
        section_id, step_id = step.split(".", 1)
        try:
            st = content.script.by_id(section_id).steps[step_id]
        except KeyError:
            raise ContentError(f"unknown step '{step}'") from None
    d = decide(content.matcher, text, st, _guards())
    return d.intent, d.section or ""


def evaluate(content, path: Path) -> dict:
    rows = _rows(path)
    tp, fp, fn = Counter(), Counter(), Counter()
    correct = section_ok = section_total = 0
    errors = []
    started = time.perf_counter()
    for r in rows:
        gold, text = r["intent"].strip(), r["text"].strip()
        pred, section = predict(content, text, (r.get("step") or "").strip())
        gold_section = (r.get("section") or "").strip()
        ok = pred == gold
        if ok and gold in ("read_section", "goto_section"):
            section_total += 1
            if section == gold_section or (not gold_section and not section):
                section_ok += 1
            else:
                ok = False
        if ok:
            correct += 1
            tp[gold] += 1
        else:
            fn[gold] += 1
            fp[pred] += 1
            errors.append({"text": text, "expected": gold, "got": pred,
                           "expected_section": gold_section, "got_section": section})
    elapsed = time.perf_counter() - started
    intents = sorted(set(tp) | set(fp) | set(fn))
    per = {}
    for i in intents:
        p = tp[i] / (tp[i] + fp[i]) if tp[i] + fp[i] else 0.0
        rc = tp[i] / (tp[i] + fn[i]) if tp[i] + fn[i] else 0.0
        per[i] = {"precision": round(p, 3), "recall": round(rc, 3), "support": tp[i] + fn[i]}
    return {"file": str(path), "utterances": len(rows),
            "accuracy": round(correct / len(rows), 4) if rows else 0.0,
            "section_accuracy": round(section_ok / section_total, 4) if section_total else None,
            "ms_per_utterance": round(elapsed * 1000 / max(1, len(rows)), 3),
            "intents": per, "errors": errors}


def format_report(r: dict) -> str:
    lines = [f"{r['file']}: {r['utterances']} utterances, accuracy {r['accuracy']:.1%}, "
             f"{r['ms_per_utterance']} ms per utterance"]
    if r["section_accuracy"] is not None:
        lines.append(f"section named correctly: {r['section_accuracy']:.1%}")
    lines.append(f"{'intent':<16} {'precision':>9} {'recall':>7} {'n':>4}")
    for name, v in r["intents"].items():
        lines.append(f"{name:<16} {v['precision']:>9.3f} {v['recall']:>7.3f} {v['support']:>4}")
    if r["errors"]:
        lines.append("errors:")
        for e in r["errors"]:
            sec = f" [{e['expected_section']} -> {e['got_section']}]" if e["expected_section"] or e["got_section"] else ""
            lines.append(f"  {e['expected']:>14} -> {e['got']:<14} {e['text']}{sec}")
    return "\n".join(lines)
