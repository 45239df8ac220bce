#!/usr/bin/env python3
"""Soak: a long spoken session on the virtual sound card, with noise, long
silences, nonsense and real answers from a synthesised user; samples memory.

    python scripts/soak.py --duration 600            # 10 minutes
    python scripts/soak.py --duration 60 --json      # what tests/e2e/test_soak.py runs
    python scripts/soak.py --paused --duration 7200  # on a break all afternoon: it only
                                                     # listens for "resume"; room noise and
                                                     # chatter, never "resume" itself

The session runs in this process (the same code as `reflect`: content, store,
engine, voice I/O, VoiceSession) so that its queues can be looked at while it
runs: the microphone queue (20 ms blocks not yet read), the player's buffer,
the recogniser's utterance buffer, the speech cache. Once a second it samples
RSS, open file descriptors and threads. At the end it prints the growth of
RSS after the warm-up (and per minute), the largest queue sizes, and what was
said and heard. Exit 1 when memory grew more than --max-growth-mb after the
warm-up or the microphone queue exceeded --max-mic-queue blocks, 2 when the
session crashed.

Needs the virtual devices of scripts/sound-server.sh (spk, mic_feed, mic),
espeak-ng and sox.
"""

from __future__ import annotations

import _thread
import argparse
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reflectkit.soakuser import User  # noqa: E402


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _size(obj, *path: str) -> int | None:
    """len() of a nested attribute (or qsize() of a queue); None when absent."""
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    if hasattr(obj, "qsize"):
        return obj.qsize()
    try:
        return len(obj)
    except TypeError:
        return None


def read_marks(path: Path) -> list[tuple[str, float]]:
    if not path.exists():
        return []
    return [(name, float(t)) for name, t in (line.split() for line in path.read_text().splitlines())]


def turn_timing(marks: list[tuple[str, float]]) -> dict:
    """Per answered utterance: end of speech -> words known (Whisper's wait)
    -> reply starting to play (understanding and synthesis); medians and
    maxima in ms. The microphone is not read in between."""
    words, reply = [], []
    end = known = None
    for name, t in marks:
        if name == "endpoint":
            end, known = t, None
        elif name == "heard" and end is not None:
            known = t
            words.append(t - end)
        elif name == "play" and known is not None:
            reply.append(t - known)
            end = known = None
    def figures(xs):
        return {"n": len(xs), "median_ms": round(1000 * statistics.median(xs)) if xs else None,
                "max_ms": round(1000 * max(xs)) if xs else None}
    return {"end_to_words": figures(words), "words_to_reply": figures(reply)}


def main(argv: list[str] | None = None) -> int:
    # The run ends by interrupting itself as Ctrl-C would; started in the
    # background (nohup, "&" in a script) Ctrl-C is ignored and it never would.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=600, help="seconds to run (default 600)")
    p.add_argument("--warmup", type=float, default=None,
                   help="seconds before memory growth is counted (default: a third, at most 120)")
    p.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary directory")
    p.add_argument("--engine", default="auto", choices=("auto", "whisper", "vosk", "sphinx"))
    p.add_argument("--voice", default=None, help="speaking voice, as reflect --voice")
    p.add_argument("--paused", action="store_true",
                   help="start on a break and stay there: only room noise and chatter")
    p.add_argument("--input-device", default="mic")
    p.add_argument("--output-device", default="spk")
    p.add_argument("--feed", default="mic_feed", help="sink the simulated user plays into")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-growth-mb", type=float, default=40.0)
    p.add_argument("--max-mic-queue", type=int, default=500, help="blocks of 20 ms (default 500 = 10 s)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no captions")
    p.add_argument("--samples", type=Path, default=None, help="write every sample (JSON lines) here")
    args = p.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else min(120.0, args.duration / 3)

    from assistant.cli import voice as voice_cli
    from assistant.dialog.events import Heard
    from assistant.dialog.session import load_content, new_engine
    from assistant.storage.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="reflect-soak-"))
    data = args.data_dir or tmp / "data"
    rng = random.Random(args.seed)
    user = User(args.feed, tmp, rng, paused=args.paused)

    content = load_content()
    store = Store(data)
    if args.paused:
        from assistant.storage.records import Progress

        first = content.script.sections[1]
        store.save(Progress(section=first.id, step=first.start, perspective="hurt", paused=True))
    # `reflect`'s own voice path (voice_cli.run_voice), keeping hold of its I/O.
    out = open(os.devnull, "w") if args.quiet else sys.stdout
    opened: list = []
    trace = tmp / "trace.txt"  # the session's timing marks (REFLECT_VOICE_TRACE)
    os.environ["REFLECT_VOICE_TRACE"] = str(trace)
    real_open = voice_cli.open_voice_io

    closers: list = []

    def open_io(cfg, out_=None, **opening):
        """Devices, recogniser and voice are opened once: a relaunch after a
        (misheard) goodbye reuses them, so that memory figures are those of one
        long session rather than of reloading models in one process."""
        if not opened:
            io = real_open(cfg, out=out, **opening)
            for part in (io.player, io.mic):
                closers.append(part.close)
                part.close = lambda: None  # closed at the very end
            opened.append(io)
        return opened[0]

    voice_cli.open_voice_io = open_io
    ns = argparse.Namespace(data_dir=data, config=tmp / "voice.toml", engine=args.engine, model=None,
                            input_device=args.input_device, output_device=args.output_device,
                            silence=None, voice=args.voice)

    counts: dict[str, int] = {}
    heard: list[str] = []
    engines: list = []

    def launch():
        """An engine over the saved place (as a relaunch of `reflect` would make),
        its events and actions counted."""
        engine = new_engine(content, store.load_progress(), seed=args.seed + len(engines),
                            confirm_quit=True)  # as `reflect` does for a spoken session
        handle = engine.handle

        def counting(event):
            name = type(event).__name__
            counts[name] = counts.get(name, 0) + 1
            if isinstance(event, Heard) and event.text:
                heard.append(event.text)
            actions = handle(event)
            for a in actions:
                counts["action:" + type(a).__name__] = counts.get("action:" + type(a).__name__, 0) + 1
            return actions

        engine.handle = counting
        engines.append(engine)
        return engine

    samples: list[dict] = []
    finished = threading.Event()
    t0 = time.monotonic()

    def sample() -> None:
        while not finished.wait(1.0):
            if not opened:
                continue
            io = opened[0]
            samples.append({
                "t": round(time.monotonic() - t0, 2),
                "rss_kb": rss_kb(),
                "fds": len(os.listdir("/proc/self/fd")),
                "threads": threading.active_count(),
                "mic_queue": _size(io, "mic", "_q"),
                "player_buffer": _size(io, "player", "_buf"),
                "asr_buffer": _size(io, "rec", "_audio"),
                "tts_cache": _size(io, "tts", "_cache"),
                "asr_grammars": _size(io, "rec", "_grammars"),
                "engine_history": _size(engines[-1], "history"),
                "launch": len(engines),
            })
            if time.monotonic() - t0 >= args.duration:
                _thread.interrupt_main()  # ends the session as Ctrl-C would
                return

    sampler = threading.Thread(target=sample, daemon=True)
    user.start()
    sampler.start()
    crashed = None
    rc = None
    launches = 0
    try:
        # Ends with 130 when the sampler interrupts it. Heard as "goodbye" (nonsense
        # can be), the session ends: relaunch it, as its user would.
        while True:
            launches += 1
            rc = voice_cli.run_voice(ns, launch(), store)
            if rc != 0 or time.monotonic() - t0 >= args.duration:
                break
    except KeyboardInterrupt:
        rc = 130
    except Exception:  # noqa: BLE001 - reported, exit 2
        crashed = traceback.format_exc()
    finally:
        finished.set()
        user.close()
        for close in closers:
            close()
    elapsed = time.monotonic() - t0
    if rc not in (0, 130, None) and crashed is None:
        crashed = f"the session ended by itself with exit code {rc}"
    io = opened[0] if opened else None

    after = [s for s in samples if s["t"] >= warmup]
    def med(xs):
        return statistics.median(xs) if xs else 0
    start_rss = med([s["rss_kb"] for s in after[:5]])
    end_rss = med([s["rss_kb"] for s in after[-5:]])
    span_min = max((after[-1]["t"] - after[0]["t"]) / 60, 1e-9) if len(after) > 1 else 0
    growth_mb = (end_rss - start_rss) / 1024
    def peak(key):
        vals = [s[key] for s in samples if s.get(key) is not None]
        return max(vals) if vals else None
    summary = {
        "duration_s": round(elapsed, 1),
        "warmup_s": warmup,
        "session_exit": rc,
        "crashed": crashed,
        "rss_start_mb": round(samples[0]["rss_kb"] / 1024, 1) if samples else None,
        "rss_after_warmup_mb": round(start_rss / 1024, 1),
        "rss_end_mb": round(end_rss / 1024, 1),
        "rss_growth_after_warmup_mb": round(growth_mb, 2),
        "rss_growth_mb_per_min": round(growth_mb / span_min, 3) if span_min else None,
        "rss_peak_mb": round(max(s["rss_kb"] for s in samples) / 1024, 1) if samples else None,
        "fds_after_warmup": after[0]["fds"] if after else None,
        "fds_end": samples[-1]["fds"] if samples else None,
        "threads_end": samples[-1]["threads"] if samples else None,
        "peak_mic_queue_blocks": peak("mic_queue"),
        "peak_player_buffer_samples": peak("player_buffer"),
        "peak_asr_buffer_bytes": peak("asr_buffer"),
        "peak_tts_cache": peak("tts_cache"),
        "asr_grammars_end": samples[-1].get("asr_grammars") if samples else None,
        "engine_history_end": samples[-1]["engine_history"] if samples else None,
        "user": user.spoken,
        "events": counts,
        "heard": len(heard),
        "heard_examples": heard[:10],
        "mic_overflows": getattr(getattr(io, "mic", None), "overflows", None),
        "data_dir": str(data),
        "samples": len(samples),
        "launches": launches,
        "turns": turn_timing(read_marks(trace)),
    }
    if args.samples:
        args.samples.write_text("".join(json.dumps(x) + "\n" for x in samples))
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"\nsoak: {summary['duration_s']} s, warm-up {warmup:.0f} s; RSS {summary['rss_start_mb']} MB at "
              f"start, {summary['rss_after_warmup_mb']} MB after warm-up, {summary['rss_end_mb']} MB at the end: "
              f"growth {summary['rss_growth_after_warmup_mb']} MB ({summary['rss_growth_mb_per_min']} MB/min)")
        print(f"soak: peak queues: mic {summary['peak_mic_queue_blocks']} blocks, player "
              f"{summary['peak_player_buffer_samples']} samples, recogniser {summary['peak_asr_buffer_bytes']} "
              f"bytes, speech cache {summary['peak_tts_cache']}, recogniser grammars "
              f"{summary['asr_grammars_end']}; fds {summary['fds_after_warmup']} -> "
              f"{summary['fds_end']}, threads {summary['threads_end']}")
        print(f"soak: user {user.spoken}; heard {len(heard)} utterances in {launches} launch(es); "
              f"events {counts}")
        if crashed:
            print(crashed, file=sys.stderr)
    if crashed:
        return 2
    if growth_mb > args.max_growth_mb:
        return 1
    if (summary["peak_mic_queue_blocks"] or 0) > args.max_mic_queue:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
