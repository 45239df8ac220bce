"""Voice parts of the command line: `reflect` (voice session), `devices`,
`model fetch|list`. cli/main.py calls ``register_devices``, ``register_model``, ``preload_voice`` and
``run_voice`` (the shared options are cli/options.py's)."""

from __future__ import annotations

import argparse
import sys
import threading
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional

from assistant.cli.options import EXIT_ERROR, EXIT_NO_AUDIO, EXIT_OK, data_dir, voice_config  # noqa: F401
from assistant.models import vosk as models
from assistant.understanding.evaluation import says_command
from assistant.voice.config import ConfigError, VoiceConfig

HINT_MARK = ".vosk-hint-given"


def register_devices(sub: Any, common: argparse.ArgumentParser) -> None:
    """`reflect devices`."""
    d = sub.add_parser("devices", parents=[common], help="list microphones and speakers")
    d.set_defaults(func=cmd_devices)


def register_model(sub: Any, common: argparse.ArgumentParser) -> None:
    """`reflect model fetch|list`."""
    m = sub.add_parser("model", parents=[common], help="get or list Vosk speech models")
    msub = m.add_subparsers(dest="model_command", metavar="fetch|list", required=True)
    f = msub.add_parser("fetch", parents=[common],
                        help=f"download {models.DEFAULT_MODEL.name} (about 40 MB)")
    f.add_argument("--zip", metavar="FILE", type=Path, help="install from a zip already downloaded")
    f.add_argument("--force", action="store_true", help="replace an installed copy")
    f.add_argument("--dest", metavar="DIR", type=Path, help="install into DIR")
    f.set_defaults(func=cmd_model_fetch)
    lst = msub.add_parser("list", parents=[common], help="show models found and which is used")
    lst.add_argument("--model", metavar="DIR", default=None)
    lst.set_defaults(func=cmd_model_list)


def _err(msg: str) -> None:
    print(f"reflect: {msg}", file=sys.stderr)


# ---------------------------------------------------------------- devices


def cmd_devices(args: argparse.Namespace) -> int:
    from assistant.voice.devices import AudioDeviceError, list_devices

    try:
        devs = list_devices()
    except AudioDeviceError as exc:
        _err(str(exc))
        return EXIT_NO_AUDIO
    if not devs:
        _err("no audio devices found; use `reflect --text` to type instead.")
        return EXIT_NO_AUDIO
    print(f"{'':2}{'#':>3}  {'in':>3} {'out':>3}  name")
    for d in devs:
        mark = ("<" if d.default_in else " ") + (">" if d.default_out else " ")
        print(f"{mark}{d.index:>3}  {d.inputs:>3} {d.outputs:>3}  {d.name}")
    print("\n< default microphone, > default speaker. Choose with --input-device / "
          "--output-device NAME|INDEX (a PulseAudio source/sink name works too).")
    return EXIT_OK


# ---------------------------------------------------------------- models


def cmd_model_fetch(args: argparse.Namespace) -> int:
    dest = args.dest or models.install_dir(data_dir(args))
    spec = models.DEFAULT_MODEL
    print(f"Fetching {spec.name} into {dest} ...")
    try:
        path = models.fetch(spec, dest, zip_file=args.zip, force=args.force)
    except models.ModelError as exc:
        _err(str(exc))
        return EXIT_ERROR
    print(f"Installed {path}. `reflect` will now use it.")
    return EXIT_OK


def cmd_model_list(args: argparse.Namespace) -> int:
    try:
        found = models.candidates(args.model, data_dir(args))
    except models.ModelError as exc:
        _err(str(exc))
        return EXIT_ERROR
    if not found:
        print("No Vosk model found; the embedded pocketsphinx recogniser is used.")
        print(models.FETCH_HINT)
        return EXIT_OK
    for i, (source, path) in enumerate(found):
        print(f"{'*' if i == 0 else ' '} {path}  ({source})")
    print("* the model `reflect` uses")
    return EXIT_OK


# ---------------------------------------------------------------- building the IO


def _parallel(**jobs: Callable[[], Any]) -> dict[str, Any]:
    """Run constructors at once: the audio streams take ~1-2 s to settle and
    model loading can overlap with that."""
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run(name: str, fn: Callable[[], Any]) -> None:
        try:
            results[name] = fn()
        except BaseException as exc:  # re-raised below in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k, f)) for k, f in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for obj in results.values():
            getattr(obj, "close", lambda: None)()
        from assistant.voice.devices import AudioDeviceError

        raise next((e for e in errors if isinstance(e, AudioDeviceError)), errors[0])
    return results


class _Preload:
    """A part of the voice session made on its own thread from the start of
    `reflect`, while the content loads (``_made`` waits for it)."""

    def __init__(self, key: Any, build: Callable[[], Any]) -> None:
        self.key = key
        self.value: Any = None
        self.error: Optional[BaseException] = None

        def run() -> None:
            try:
                self.value = build()
            except BaseException as exc:  # raised where the part is needed
                self.error = exc

        self.thread = threading.Thread(target=run, name="voice-preload", daemon=True)
        self.thread.start()


_PRELOADED: dict[str, _Preload] = {}
_VOICE_LOADED = threading.Event()
VOICE_FIRST = 3.0
"""Seconds the recogniser waits at most for the voice to load before it loads."""


def preload_voice(args: argparse.Namespace) -> None:
    """Start making the speaking voice and opening the speaker and microphone
    now, in the background: the neural voice takes about as long to load as
    the content, an audio stream about a second to open, and the welcome
    waits for all of them. A bad setting is reported when the session opens."""
    try:
        cfg = voice_config(args)
    except ConfigError:
        return
    for name, (key, build) in _preloadable(cfg).items():
        _PRELOADED[name] = _Preload(key, build)


def _preloadable(cfg: VoiceConfig) -> dict[str, tuple[Any, Callable[[], Any]]]:
    """The parts made ahead: name -> (the settings they are made with, how)."""
    from assistant.hearing.turns import make_hearing
    from assistant.speech.tts import Tts
    from assistant.voice.devices import Mic, Player

    def voice() -> Tts:
        try:
            return Tts(cfg.voice, cfg.rate, cfg.volume, note=_note)
        finally:
            _VOICE_LOADED.set()

    def hearing() -> Any:
        # Loading the voice and the streaming recogniser each hold the
        # interpreter lock for 0.3-0.5 s: one after the other, the first words
        # are synthesised (which lets go of it) while the recogniser loads.
        _VOICE_LOADED.wait(VOICE_FIRST)
        return make_hearing(cfg.engine, cfg.model or None, _note, deferred=True)

    return {
        "tts": ((cfg.voice, cfg.rate, cfg.volume), voice),
        "player": (cfg.output_device, lambda: Player(cfg.output_device or None)),
        "mic": (cfg.input_device, lambda: Mic(cfg.input_device or None)),
        "rec": ((cfg.engine, cfg.model), hearing),
    }


def _made(name: str, key: Any, build: Callable[[], Any]) -> Any:
    """The preloaded part ``name`` if it was made with ``key``, else ``build()``."""
    pre = _PRELOADED.pop(name, None)
    if pre is None:
        return build()
    pre.thread.join()
    if pre.key != key:
        getattr(pre.value, "close", lambda: None)()
        return build()
    if pre.error is not None:
        raise pre.error
    return pre.value


FIRST_PIECES = 1
"""Pieces of the first words made while the devices and recognisers get ready:
the first is short by design (speech.tts.pieces), and the next is made
while it plays (voice/speaking.py checks it will be ready in time)."""


def open_voice_io(cfg: VoiceConfig, out=None, first_words: str = ""):
    """The session's voice, devices and recogniser; ``first_words`` (what is
    said first) are synthesised as soon as the voice is loaded."""
    from assistant.voice.session import Captions, VoiceIO

    def voice_with_first_words() -> Any:
        tts = _made("tts", *ahead["tts"])
        for piece, pause in tts.plan(first_words)[:FIRST_PIECES] if first_words else ():
            tts.piece(piece, pause)  # into its cache
        return tts

    ahead = _preloadable(cfg)
    parts = _parallel(
        tts=voice_with_first_words,
        **{name: (lambda name=name: _made(name, *ahead[name])) for name in ahead if name != "tts"},
    )
    parts["mic"].drain()  # opened early: what it heard before the session began is not for it
    return VoiceIO(cfg, parts["tts"], parts["player"], parts["mic"], parts["rec"], Captions(out))


def _note(message: str) -> None:
    _err(message)


def run_voice(args: argparse.Namespace, engine: Any, store: Any) -> int:
    """The hands-free session. Exit 3 when there is no microphone or speaker."""
    from assistant.dialog.events import Say, Started
    from assistant.hearing.recognisers import AsrError
    from assistant.speech.tts import TtsError
    from assistant.voice.devices import AudioDeviceError
    from assistant.voice.session import VoiceSession

    opening = engine.handle(Started())  # known before the devices open: its words are made meanwhile
    first_words = next((a.text for a in opening if isinstance(a, Say)), "")
    try:
        cfg = voice_config(args)
        io = open_voice_io(cfg, first_words=first_words)
    except AudioDeviceError as exc:
        _err(str(exc))
        return EXIT_NO_AUDIO
    except (AsrError, TtsError, ConfigError, models.ModelError) as exc:
        _err(str(exc))
        return EXIT_ERROR
    try:
        print(f"[listening with {io.rec.name}; say \"what can I say?\" for help]")
        if io.rec.stream.name == "sphinx" and not io.rec.has_whisper:
            mark = data_dir(args) / HINT_MARK
            print(f"[{models.FETCH_HINT}]")
            if not mark.exists():  # spoken once; printed every time
                io.say(models.FETCH_HINT.replace("`", ""), interruptible=False)
                try:
                    mark.parent.mkdir(parents=True, exist_ok=True)
                    mark.touch(mode=0o600)  # private like everything in the data dir
                except OSError:
                    pass
        io.rec.is_command = partial(says_command, engine.matcher)
        io.barge_expect = barge_phrases(engine)
        io.section_names = section_names(engine)
        io.trace = _trace_file()
        state = data_dir(args) / VOICE_STATE
        load_voice_state(io, state)
        try:
            return VoiceSession(engine, store, io).run(opening=opening)
        finally:
            save_voice_state(io, state)
    finally:
        io.player.close()
        io.mic.close()


def _trace_file() -> Optional[Callable[[str, float], None]]:
    """REFLECT_VOICE_TRACE=FILE: append "event monotonic-time" lines (for
    scripts/bench_voice.py; the monotonic clock is shared between processes)."""
    import os

    path = os.environ.get("REFLECT_VOICE_TRACE")
    if not path:
        return None

    def mark(name: str, t: float) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{name} {t:.6f}\n")

    return mark


VOICE_STATE = "voice-state.json"
"""What the voice side learnt about the room: the echo ratio and the recogniser's
adaptation to the user's voice, so the next session starts from there."""


def load_voice_state(io: Any, path: Path) -> None:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(data, dict):
        return
    ratio = data.get("echo_ratio")
    if isinstance(ratio, (int, float)) and io.barge.min_ratio <= ratio <= io.barge.max_ratio:
        # A little above what was learnt: the room may have changed.
        io.barge.ratio = min(io.barge.max_ratio, float(ratio) * 1.5)
    adapt = data.get(f"adaptation_{io.rec.name}")
    if isinstance(adapt, str) and hasattr(io.rec, "adaptation"):
        io.rec.adaptation = adapt


def save_voice_state(io: Any, path: Path) -> None:
    import json

    from assistant.storage.atomic import write_atomic

    data: dict[str, Any] = {}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        data = old if isinstance(old, dict) else {}
    except (OSError, ValueError):
        pass
    if io.barge.learnt >= 50:
        data["echo_ratio"] = round(io.barge.ratio, 4)
    if hasattr(io.rec, "adaptation"):
        data[f"adaptation_{io.rec.name}"] = io.rec.adaptation
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data).encode("utf-8"))
    except OSError:
        pass  # learnt settings only: the next session learns them again


def section_names(engine: Any) -> dict[str, tuple[str, ...]]:
    """Title -> the first one-or-two-word alias that is part of it, for grammars
    (the engine's grammar names sections by full title only)."""
    from assistant.hearing.recognisers import normalise

    out: dict[str, tuple[str, ...]] = {}
    for sec in getattr(getattr(engine, "script", None), "sections", []):
        title = normalise(getattr(sec, "spoken_title", "") or sec.title)
        short = [normalise(a) for a in getattr(sec, "aliases", [])]
        short = [a for a in short if a and a != title and len(a.split()) <= 2 and a in title]
        if short:
            out[title] = tuple(short[:1])
    return out


def barge_phrases(engine: Any) -> tuple[str, ...]:
    """What a user may say over a reading: the engine's grammar for commands."""
    from assistant.voice.session import BARGE_FALLBACK, BARGE_INTENTS

    grammar = getattr(engine, "grammar", None) or {}
    phrases = tuple(dict.fromkeys(p for i in BARGE_INTENTS for p in grammar.get(i, ())))
    return phrases or BARGE_FALLBACK
