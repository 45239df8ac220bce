"""espeak-ng through pyttsx3: the light voice, always available with espeak-ng.

pyttsx3's own ``say()`` plays through ``aplay`` in a blocking call that can be
neither interrupted nor routed to a chosen device, so it only writes a WAV file
here and Reflect plays the samples itself (``voice.devices.Player``).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import tempfile
import threading
import wave
import weakref

import numpy as np

from assistant.speech.audio import Speech, TtsError, trim

_ENGINE = None
_DEFAULT_VOICE = ""
_CURRENT_VOICE = ""
_ENGINE_LOCK = threading.Lock()
"""pyttsx3 keeps one driver per process (a weak cache); share it explicitly so
that several backends never fight over it or lose it to the collector."""


def _engine():
    global _ENGINE, _DEFAULT_VOICE
    if _ENGINE is None:
        try:
            import pyttsx3

            _ENGINE = pyttsx3.init()
            _DEFAULT_VOICE = _ENGINE.getProperty("voice") or ""
        except Exception as exc:  # pyttsx3 raises bare errors when espeak is missing
            raise TtsError(f"speech synthesis is unavailable ({exc}); "
                           "install espeak-ng (apt-get install espeak-ng)") from exc
    return _ENGINE


@atexit.register
def _drop_engine() -> None:
    """Let pyttsx3's driver go while the interpreter is whole: left to the
    end, its ``__del__`` finds the modules it needs gone and prints an
    "Exception ignored in: DriverProxy.__del__" at every exit."""
    global _ENGINE
    engine, _ENGINE = _ENGINE, None
    if engine is not None:
        with _ENGINE_LOCK:
            engine.__dict__.pop("proxy", None)  # the driver's last reference: its destroy() runs now


class EspeakBackend:
    """Renders text with pyttsx3's espeak-ng driver."""

    engine = "espeak"

    def __init__(self, voice: str = "") -> None:
        with _ENGINE_LOCK:
            self._engine = _engine()
        self._driver_is_espeak = "espeak" in type(self._engine.proxy._driver).__module__
        self._tmpdir = tempfile.mkdtemp(prefix="reflect-tts-")
        # Removed when this object goes or the program exits (nothing left in /tmp).
        weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        self.voice = ""
        if voice:
            self.set_voice(voice)

    @property
    def voice_name(self) -> str:
        return self.voice or _DEFAULT_VOICE or "default"

    def voices(self) -> list[tuple[str, str]]:
        """(id, name) of the installed espeak-ng voices."""
        with _ENGINE_LOCK:
            return [(v.id, v.name) for v in self._engine.getProperty("voices")]

    def set_voice(self, wanted: str) -> str:
        """Select a voice by id or (partial, case-insensitive) name; returns its id."""
        low = wanted.lower()
        found = [v for v, n in self.voices() if low in (v.lower(), n.lower())]
        found = found or [v for v, n in self.voices() if low in v.lower() or low in n.lower()]
        if not found:
            raise TtsError(f"no voice called {wanted!r}; see `reflect voices`")
        self.voice = found[0]
        return self.voice

    def render(self, text: str, rate: int) -> Speech:
        with _ENGINE_LOCK:
            return self._render_locked(text, rate)

    def _render_locked(self, text: str, rate: int) -> Speech:
        path = os.path.join(self._tmpdir, "say.wav")
        eng = self._engine
        global _CURRENT_VOICE
        voice = self.voice or _DEFAULT_VOICE
        if voice != _CURRENT_VOICE:  # the driver is shared between backends
            eng.setProperty("voice", voice)
            with contextlib.redirect_stdout(io.StringIO()):
                eng.runAndWait()
            _CURRENT_VOICE = voice
        # The rate goes in as an espeak-ng embedded command (ctrl-A, value, "S"):
        # pyttsx3's setProperty("rate") races with espeak-ng's synthesis thread
        # and was silently ignored now and then.
        text = text.replace("\x01", " ")
        if self._driver_is_espeak:
            text = f"\x01{rate}S {text}"
        else:
            eng.setProperty("rate", rate)
        with contextlib.redirect_stdout(io.StringIO()):
            eng.save_to_file(text, path)
            eng.runAndWait()
            if not os.path.exists(path):  # pyttsx3 occasionally ends its loop early
                eng.save_to_file(text, path)
                eng.runAndWait()
        try:
            with wave.open(path, "rb") as w:
                srate, width, chans = w.getframerate(), w.getsampwidth(), w.getnchannels()
                data = w.readframes(w.getnframes())
        except (OSError, EOFError, wave.Error) as exc:
            raise TtsError(f"speech synthesis produced no audio ({exc})") from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        if width != 2:
            raise TtsError(f"unexpected sample width {width} from the synthesiser")
        pcm = np.frombuffer(data, dtype=np.int16)
        if chans > 1:
            pcm = pcm.reshape(-1, chans)[:, 0]
        return Speech(pcm=trim(pcm, srate), samplerate=srate)
