#!/usr/bin/env python3
"""Hearing benchmark: natural spoken commands and open answers, through the
same path a live session uses (`reflect hear`), over a room's noise floor.

    python scripts/bench_hearing.py                 # the dev set, 8 voices, -60 and -45 dBFS
    python scripts/bench_hearing.py --set fresh     # the fresh set (measure it once)
    python scripts/bench_hearing.py --quick         # 2 voices, a third of the lines
    python scripts/bench_hearing.py --engine sphinx # the streaming recogniser alone
    python scripts/bench_hearing.py --text          # understanding the lines as written

The sets (data/development/hearing/*/) were written by people who saw no
grammar, example or rule: commands.tsv (intent, section, text) and
answers.txt (open answers; " | " marks where the speaker stops to think,
said here with a pause of 1.0, 1.5 or 2.0 s), and not_commands.txt where a set has it
(answers full of command words, at an open question: none may be taken as
a command). Each line is spoken by espeak-ng voices
(accents, female variants, 140-180 words a minute) over pink noise.

It prints: first-try intent accuracy (a confirmation question counts as a
miss), answers taken as commands, open-answer word error rate, answers cut short at a pause, the time
from the end of the utterance being decided to the words being ready and to
the first reply sample being synthesised (median, p90), which recogniser's
words counted, and peak resident memory. --json FILE keeps every utterance.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from assistant.cli.hear import default_step, expectation  # noqa: E402
from assistant.dialog.session import load_content  # noqa: E402
from assistant.hearing.recognisers import RATE, recognise_stream  # noqa: E402
from assistant.hearing.turns import make_hearing  # noqa: E402
from assistant.understanding.evaluation import predict, says_command  # noqa: E402
from reflectkit.data import hearing_dir  # noqa: E402
from reflectkit.speech import VOICES, in_room, speak, speak_with_pauses  # noqa: E402

PAUSES = (1.0, 1.5, 2.0)
BLOCK = 640
ANSWER_INTENTS = ("yes", "no", "unsure")


def words(text: str) -> list[str]:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def edit_distance(a: list[str], b: list[str]) -> int:
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[len(b)]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def load_set(name: str) -> tuple[list[dict], list[str], list[str]]:
    """Commands, answers (for word error rate) and answers full of command
    words (not_commands.txt: none may be taken as a command); a set may lack
    either answer file."""
    import csv

    def lines(file: str) -> list[str]:
        path = hearing_dir(name) / file
        if not path.exists():
            return []
        return [a.strip() for a in path.read_text(encoding="utf-8").splitlines()
                if a.strip() and not a.startswith("#")]

    with open(hearing_dir(name) / "commands.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r.get("text")]
    return rows, lines("answers.txt"), lines("not_commands.txt")


class Run:
    """Feeds one utterance as a microphone would and times the decisions."""

    def __init__(self, hearing, expect, open_, silence: float) -> None:
        self.hearing, self.expect, self.open_, self.silence = hearing, expect, open_, silence

    def hear(self, pcm: bytes, tail: float = 5.0, realtime: bool = False):
        """``realtime``: blocks arrive at the pace a microphone delivers them
        (timings are then real); otherwise as fast as they are read, and a
        background decoding started at a pause is given the time it would
        have had (accuracy is the same, in a fraction of the time)."""
        data = pcm + b"\0" * (int(tail * RATE) * 2)
        blocks = [data[i:i + BLOCK] for i in range(0, len(data), BLOCK)]
        state = {"i": 0, "ended": None}
        t0 = time.perf_counter()

        def read():
            i = state["i"]
            if i >= len(blocks):
                return None
            if realtime:
                time.sleep(max(0.0, t0 + (i + 1) * BLOCK / 2 / RATE - time.perf_counter()))
            else:
                pending = self.hearing.pending_words()
                if pending is not None:
                    pending.result()
            state["i"] = i + 1
            return blocks[i]

        def ended():
            state["ended"] = time.perf_counter()

        res = recognise_stream(read, self.hearing, self.expect, silence=self.silence,
                               timeout=None, max_seconds=600.0, open_=self.open_, on_end=ended)
        done = time.perf_counter()
        consumed = state["i"] * BLOCK / 2 / RATE
        return res, (done - state["ended"]) if state["ended"] else float("nan"), consumed


def reply_time(content, tts, text: str, step: str) -> float:
    """Words ready -> first reply sample synthesised: understanding, the safety
    check and the first sentence of a typical reply."""
    t0 = time.perf_counter()
    predict(content, text, step)
    content.safety.check(text)
    tts.synth("Thank you for telling me that.")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default="dev", help="dev | fresh | dev,fresh")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--noise", default="-60,-45", help="noise floors, dBFS RMS")
    ap.add_argument("--voices", type=int, default=len(VOICES))
    ap.add_argument("--quick", action="store_true", help="2 voices, every third line")
    ap.add_argument("--json", type=Path, help="write every utterance here")
    ap.add_argument("--realtime", type=int, default=3, metavar="N",
                    help="the first N commands and answers of each voice and noise floor arrive "
                         "in real time, for honest timings (default 3)")
    ap.add_argument("--text", action="store_true",
                    help="understanding only: the sets' lines as written, no speech (seconds)")
    args = ap.parse_args(argv)
    if args.text:
        return understand_text(args.set.split(","))

    from assistant.speech.tts import Tts

    content = load_content()
    step = default_step(content)
    expect, open_ = expectation(content, step)
    t0 = time.perf_counter()
    hearing = make_hearing(args.engine, None, lambda m: print(f"note: {m}", file=sys.stderr))
    hearing.is_command = partial(says_command, content.matcher)
    hearing.wait_for_whisper()
    print(f"recogniser {hearing.name} ready in {time.perf_counter() - t0:.2f} s; step {step}",
          flush=True)
    tts = Tts()
    run = Run(hearing, expect, open_, 0.8)
    voices = VOICES[:2] if args.quick else VOICES[:args.voices]
    titles = {s.title: s.id for s in content.script.sections}
    rows_out: list[dict] = []
    for set_name in args.set.split(","):
        commands, answers, not_commands = load_set(set_name)
        if args.quick:
            commands, answers, not_commands = commands[::3], answers[::3], not_commands[::3]
        for noise in (float(x) for x in args.noise.split(",")):
            for vi, (voice, wpm) in enumerate(voices):
                for k, row in enumerate(commands):
                    pcm = in_room(speak(row["text"], voice, wpm), noise, seed=k + 100 * vi)
                    res, latency, _ = run.hear(pcm, realtime=k < args.realtime)
                    text = res.text if res else ""
                    intent, section = predict(content, text, step) if text else ("none", "")
                    want_sec = titles.get(row.get("section") or "", "")
                    right = intent == row["intent"] and (not want_sec or section == want_sec)
                    asks = (intent not in ("none",) + ANSWER_INTENTS and res is not None
                            and res.confidence < 0.5)
                    rows_out.append({
                        "set": set_name, "kind": "command", "noise": noise, "voice": voice,
                        "said": row["text"], "want": row["intent"], "want_section": want_sec,
                        "heard": text, "intent": intent, "section": section,
                        "first_try": bool(right and not asks), "engine": res.engine if res else "",
                        "confidence": res.confidence if res else 0.0,
                        "stream": hearing.last_stream.text, "stream_conf": hearing.last_stream.confidence,
                        "realtime": k < args.realtime, "decided_to_words": latency,
                        "to_reply": latency + reply_time(content, tts, text, step)})
                for k, answer in enumerate(answers):
                    parts = [p.strip() for p in answer.split("|") if p.strip()]
                    pauses = [PAUSES[(k + i + vi) % len(PAUSES)] for i in range(len(parts) - 1)]
                    speech, last_start = speak_with_pauses(parts, pauses, voice, wpm)
                    pcm = in_room(speech, noise, seed=k + 100 * vi + 50)
                    res, latency, consumed = run.hear(pcm, realtime=k < args.realtime)
                    text = res.text if res else ""
                    ref = words(" ".join(parts))
                    rows_out.append({
                        "set": set_name, "kind": "answer", "noise": noise, "voice": voice,
                        "said": " ".join(parts), "heard": text, "pauses": pauses,
                        "errors": edit_distance(ref, words(text)), "ref_words": len(ref),
                        "cut": consumed < 0.3 + len(speech) / RATE,
                        "engine": res.engine if res else "", "realtime": k < args.realtime,
                        "decided_to_words": latency,
                        "to_reply": latency + reply_time(content, tts, text, step)})
                for k, text in enumerate(not_commands):
                    pcm = in_room(speak(text, voice, wpm), noise, seed=k + 100 * vi + 70)
                    res, latency, _ = run.hear(pcm)
                    heard = res.text if res else ""
                    intent, section = predict(content, heard, step) if heard else ("none", "")
                    rows_out.append({
                        "set": set_name, "kind": "not_command", "noise": noise, "voice": voice,
                        "said": text, "heard": heard, "intent": intent, "section": section,
                        "taken_as_command": intent not in ("none", "perspective") + ANSWER_INTENTS,
                        "realtime": False})
                done = [r for r in rows_out if r["voice"] == voice and r["noise"] == noise
                        and r["set"] == set_name]
                c = [r for r in done if r["kind"] == "command"]
                a = [r for r in done if r["kind"] == "answer"]
                n = [r for r in done if r["kind"] == "not_command"]
                print(f"  {set_name} {noise:+.0f} dBFS {voice:<16} commands "
                      f"{sum(r['first_try'] for r in c)}/{len(c)}  answers WER "
                      f"{sum(r['errors'] for r in a) / max(1, sum(r['ref_words'] for r in a)):.3f}"
                      f"  cut {sum(r['cut'] for r in a)}"
                      f"  answers taken as commands {sum(r['taken_as_command'] for r in n)}/{len(n)}", flush=True)
    report(rows_out, hearing)
    if args.json:
        args.json.write_text(json.dumps(rows_out, indent=1), encoding="utf-8")
    return 0


def understand_text(sets: list[str]) -> int:
    """The ceiling hearing works under: each line as written, understood at
    the same step."""
    content = load_content()
    step = default_step(content)
    titles = {s.title: s.id for s in content.script.sections}
    for set_name in sets:
        commands, _, not_commands = load_set(set_name)
        wrong = []
        for row in commands:
            intent, section = predict(content, row["text"], step)
            want_sec = titles.get(row.get("section") or "", "")
            if not (intent == row["intent"] and (not want_sec or section == want_sec)):
                wrong.append(f"    {row['intent']} {want_sec} -> {intent} {section or ''}| {row['text']}")
        taken = [f"    -> {i} | {t}" for t in not_commands
                 if (i := predict(content, t, step)[0]) not in ("none", "perspective") + ANSWER_INTENTS]
        print(f"{set_name}: commands understood {len(commands) - len(wrong)}/{len(commands)}"
              f" = {100 * (1 - len(wrong) / max(1, len(commands))):.1f} %", end="")
        print(f"; answers taken as commands {len(taken)}/{len(not_commands)}" if not_commands else "")
        print("\n".join(wrong + taken))
    return 0


def report(rows: list[dict], hearing) -> None:
    print("\nresults")
    for set_name in dict.fromkeys(r["set"] for r in rows):
        for noise in dict.fromkeys(r["noise"] for r in rows):
            c = [r for r in rows if r["set"] == set_name and r["noise"] == noise and r["kind"] == "command"]
            a = [r for r in rows if r["set"] == set_name and r["noise"] == noise and r["kind"] == "answer"]
            wer = sum(r["errors"] for r in a) / max(1, sum(r["ref_words"] for r in a))
            n = [r for r in rows if r["set"] == set_name and r["noise"] == noise and r["kind"] == "not_command"]
            paused = [r for r in a if r["pauses"]]
            line = (f"  {set_name} {noise:+.0f} dBFS: commands first try {sum(r['first_try'] for r in c)}/{len(c)}"
                    f" = {100 * np.mean([r['first_try'] for r in c]):.1f} %")
            if a:
                line += (f"; answers WER {100 * wer:.1f} % ({len(a)} answers);"
                         f" cut at a pause {sum(r['cut'] for r in paused)}/{len(paused)}")
            if n:
                line += f"; answers taken as commands {sum(r['taken_as_command'] for r in n)}/{len(n)}"
            print(line)
    for kind in ("command", "answer"):
        sel = [r for r in rows if r["realtime"] and r["kind"] == kind]
        lat = [r["decided_to_words"] * 1000 for r in sel]
        rep = [r["to_reply"] * 1000 for r in sel]
        engines = ", ".join(f"{e or 'nothing'} {sum(r['engine'] == e for r in sel)}"
                            for e in dict.fromkeys(r["engine"] for r in sel))
        print(f"  {kind}s in real time ({len(sel)}; {engines}): end of utterance decided -> words "
              f"median {pct(lat, 50):.0f} ms, p90 {pct(lat, 90):.0f}; -> first reply sample "
              f"median {pct(rep, 50):.0f} ms, p90 {pct(rep, 90):.0f}")
    heard = [r for r in rows if "engine" in r]
    counted = {e: sum(r["engine"] == e for r in heard) for e in dict.fromkeys(r["engine"] for r in heard)}
    print(f"  whose words counted: {counted}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak resident memory {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
