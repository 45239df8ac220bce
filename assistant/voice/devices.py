"""Audio in and out with sounddevice: interruptible playback, 16 kHz capture.

Playback runs in a callback stream fed from a buffer, so ``Player.stop()``
silences the speaker within one block plus the device latency, at any moment.
The player remembers the level of what it played; the barge-in detector uses
it to tell the user's voice from the echo of our own.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

MIC_RATE = 16000
"""Recognisers want 16 kHz mono int16."""
MIC_BLOCK = 320
"""20 ms capture blocks: fine-grained enough for barge-in timing."""
OUT_BLOCK = 220
"""10 ms at 22050 Hz, the rate espeak-ng synthesises at."""
OUT_LATENCY = 0.03
"""Output buffer. Every reply waits for it (a reply is queued behind the
silence already buffered), and so does the cut-off on barge-in: 30 ms played
without underruns through ALSA->PulseAudio once the virtual sinks no longer
stalled (sound-server.sh); 80 ms cost ~50 ms on every turn."""

WARM_WAIT = 4.0
"""Seconds at most the first play waits for a new output stream to pull in real time."""

DeviceSpec = Union[int, str, None]


class AudioDeviceError(RuntimeError):
    """No usable microphone or speaker (message says which and what to do)."""


_ALSA_QUIET = None


def _quiet_alsa() -> None:
    """alsa-lib prints "underrun occurred" and similar straight to stderr, over
    the captions; install a no-op error handler (PortAudio recovers by itself)."""
    global _ALSA_QUIET
    if _ALSA_QUIET is not None:
        return
    import ctypes
    import ctypes.util

    handler_t = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                                 ctypes.c_int, ctypes.c_char_p)
    _ALSA_QUIET = handler_t(lambda *_: None)  # keep a reference for the C side
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("asound") or "libasound.so.2")
        lib.snd_lib_error_set_handler(_ALSA_QUIET)
    except (OSError, AttributeError):
        pass


PORTAUDIO = threading.RLock()
"""Held for every call into PortAudio but the stream callbacks. PortAudio is
not thread-safe, and the speaker and microphone are opened on their own
threads while the models load (cli/voice.py): two streams opened at once can
crash the process with no message at all."""


def _sd():
    try:
        # sounddevice hides ALSA's start-up chatter itself. The handler comes
        # after: it is Python, so each of the ~65 messages PortAudio's device
        # probe raises would wait for the interpreter lock while the models
        # load, and opening the speaker took 2.5 s instead of 0.1 s.
        import sounddevice as sd
    except OSError as exc:  # PortAudio library missing
        raise AudioDeviceError(
            f"audio is unavailable: {exc}. Install PortAudio (apt-get install libportaudio2)."
        ) from exc
    _quiet_alsa()
    return sd


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    inputs: int
    outputs: int
    default_in: bool
    default_out: bool
    samplerate: float


def list_devices() -> list[Device]:
    """All PortAudio devices, with which are the defaults."""
    sd = _sd()
    try:
        with PORTAUDIO:
            devs = sd.query_devices()
            din, dout = sd.default.device
    except Exception as exc:
        raise AudioDeviceError(f"cannot list audio devices: {exc}") from exc
    return [Device(i, d["name"], d["max_input_channels"], d["max_output_channels"],
                   i == din, i == dout, d["default_samplerate"]) for i, d in enumerate(devs)]


def _pulse_names(kind: str) -> list[str]:
    """PulseAudio sink/source names (empty when pactl or the server is absent)."""
    import subprocess

    what = "sources" if kind == "input" else "sinks"
    try:
        out = subprocess.run(["pactl", "list", "short", what], capture_output=True,
                             text=True, timeout=3).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split("\t")[1] for line in out.splitlines() if "\t" in line]


def resolve_device(spec: DeviceSpec, kind: str) -> int:
    """Index of the input/output device named by ``spec`` (index, name, or
    PulseAudio source/sink name routed through the ALSA ``pulse`` device)."""
    chans = "inputs" if kind == "input" else "outputs"
    what = "microphone" if kind == "input" else "speaker"
    devs = list_devices()
    usable = [d for d in devs if getattr(d, chans) > 0]
    hint = ("Run `reflect devices` to see what is available, "
            "or use `reflect --text` to type instead.")
    if not usable:
        raise AudioDeviceError(f"No {what} found. {hint}")
    if spec is None or spec == "":
        for d in usable:
            if (d.default_in if kind == "input" else d.default_out):
                return d.index
        return usable[0].index
    text = str(spec).strip()
    if text.lstrip("-").isdigit():
        idx = int(text)
        if any(d.index == idx for d in usable):
            return idx
        raise AudioDeviceError(f"There is no {what} with index {idx}. {hint}")
    low = text.lower()
    for match in (lambda d: d.name.lower() == low, lambda d: low in d.name.lower()):
        found = [d for d in usable if match(d)]
        if found:
            return found[0].index
    # A PulseAudio source/sink name: route the ALSA "pulse" device to it.
    pulse = [d for d in usable if d.name.lower().startswith("pulse")]
    if pulse and text in _pulse_names(kind):
        os.environ["PULSE_SOURCE" if kind == "input" else "PULSE_SINK"] = text
        return pulse[0].index
    raise AudioDeviceError(f"No {what} called {text!r}. {hint}")


# ---------------------------------------------------------------- playback


class Player:
    """Plays int16 mono buffers through one long-lived callback stream."""

    def __init__(self, device: DeviceSpec = None, samplerate: int = 22050) -> None:
        sd = _sd()
        self.samplerate = samplerate
        self.device = resolve_device(device, "output")
        self._lock = threading.Lock()
        self._buf = np.zeros(0, dtype=np.float32)
        self._pos = 0
        self._done = threading.Event()
        self._done.set()
        self._token = 0
        """Counts plays and stops: speech appended for a stopped play is dropped."""
        self._levels: deque[tuple[float, float]] = deque(maxlen=1000)
        """(time, RMS in [0, 1]) of recently played blocks (10 s)."""
        """Monotonic time the last audible block went to the device."""
        self.last_pull = time.monotonic()
        """Monotonic time of the device's last request for samples."""
        self._warm = threading.Event()
        try:
            with PORTAUDIO:
                self._stream = sd.OutputStream(
                    samplerate=samplerate, channels=1, dtype="float32", device=self.device,
                    blocksize=OUT_BLOCK, latency=OUT_LATENCY, callback=self._callback)
                self._stream.start()
        except Exception as exc:
            raise AudioDeviceError(
                f"cannot open the speaker ({exc}). Run `reflect devices`, "
                "or use `reflect --text` to type instead.") from exc
        self.latency = float(self._stream.latency)

    def _callback(self, out, frames, _time, _status) -> None:
        with self._lock:
            chunk = self._buf[self._pos:self._pos + frames]
            self._pos += len(chunk)
            if self._pos >= len(self._buf):
                self._done.set()
        out[:len(chunk), 0] = chunk
        out[len(chunk):, 0] = 0.0
        rms = float(np.sqrt(np.mean(chunk ** 2))) if len(chunk) else 0.0
        now = time.monotonic()
        self.last_pull = now
        self._levels.append((now, rms))
        if not self._warm.is_set():
            # Warm once the device has pulled ~real time for the last 200 ms.
            recent = [t for t, _ in self._levels if t >= now - 0.2]
            if len(recent) * frames >= 0.15 * self.samplerate:
                self._warm.set()

    def _samples(self, pcm: np.ndarray, samplerate: Optional[int]) -> np.ndarray:
        if samplerate and samplerate != self.samplerate:
            from assistant.speech.audio import resample

            pcm = resample(pcm, samplerate, self.samplerate)
        return pcm.astype(np.float32) / 32768.0

    def play(self, pcm: np.ndarray, samplerate: Optional[int] = None) -> int:
        """Start playing (replacing anything playing); returns at once, with a
        token for ``append``."""
        data = self._samples(pcm, samplerate)
        # The ALSA->PulseAudio path pulls slowly for the first 0.5-1.5 s after a
        # stream starts; anything played then would be lost or stretched. The
        # wait is here rather than on opening, so the first words are made meanwhile.
        self._warm.wait(WARM_WAIT)
        with self._lock:
            self._buf, self._pos = data, 0
            self._done.clear() if len(data) else self._done.set()
            self._token += 1
            return self._token

    def append(self, pcm: np.ndarray, samplerate: Optional[int], token: int) -> bool:
        """Queue more speech after what ``play`` (which gave ``token``) started;
        False, and nothing queued, if that playback was stopped or replaced."""
        data = self._samples(pcm, samplerate)
        with self._lock:
            if token != self._token:
                return False
            self._buf = np.concatenate([self._buf[self._pos:], data])
            self._pos = 0
            if len(self._buf):
                self._done.clear()
            return True

    def stop(self) -> None:
        """Cut playback off now."""
        with self._lock:
            self._buf, self._pos = np.zeros(0, dtype=np.float32), 0
            self._done.set()
            self._token += 1

    @property
    def playing(self) -> bool:
        return not self._done.is_set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the buffer is played out (or stopped); False on timeout."""
        if not self._done.wait(timeout):
            return False
        time.sleep(self.latency)  # let the device drain what it already has
        return True

    def recent_level(self, window: float = 0.4, at: Optional[float] = None) -> float:
        """Loudest RMS played within ``window`` seconds before ``at`` (default now)."""
        at = time.monotonic() if at is None else at
        since = at - window
        return max((lvl for t, lvl in list(self._levels) if since <= t <= at), default=0.0)

    def alive(self, stall: float = 2.0) -> bool:
        """False when the device has stopped pulling samples (unplugged, server gone)."""
        try:
            with PORTAUDIO:
                active = bool(self._stream.active)
        except Exception:
            active = False
        return active and time.monotonic() - self.last_pull < stall

    def close(self) -> None:
        self.stop()
        try:
            with PORTAUDIO:
                self._stream.stop()
                self._stream.close()
        except Exception:
            pass


# ---------------------------------------------------------------- capture


class Mic:
    """16 kHz mono int16 capture into a queue of 20 ms blocks."""

    def __init__(self, device: DeviceSpec = None) -> None:
        sd = _sd()
        self.device = resolve_device(device, "input")
        self._q: queue.Queue[tuple[float, bytes]] = queue.Queue()
        self.overflows = 0
        self.last_time = 0.0
        """Monotonic time the block last returned by ``read`` was captured."""
        try:
            with PORTAUDIO:
                self._stream = sd.RawInputStream(
                    samplerate=MIC_RATE, channels=1, dtype="int16", device=self.device,
                    blocksize=MIC_BLOCK, latency="low", callback=self._callback)
                self._stream.start()
        except Exception as exc:
            raise AudioDeviceError(
                f"cannot open the microphone ({exc}). Run `reflect devices`, "
                "or use `reflect --text` to type instead.") from exc

    def _callback(self, data, _frames, _time, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        self._q.put((time.monotonic(), bytes(data)))

    def read(self, timeout: float = 0.5) -> Optional[bytes]:
        """Next 20 ms block, or None when none arrived within ``timeout``."""
        try:
            self.last_time, block = self._q.get(timeout=timeout)
        except queue.Empty:
            return None
        return block

    def drain(self) -> None:
        """Forget everything captured so far (e.g. our own prompt's echo)."""
        while True:
            try:
                self._q.get_nowait()
            except queue.Empty:
                return

    def close(self) -> None:
        try:
            with PORTAUDIO:
                self._stream.stop()
                self._stream.close()
        except Exception:
            pass

