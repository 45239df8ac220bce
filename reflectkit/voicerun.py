"""A synthesised user (espeak-ng) and the audio plumbing around `reflect`
running on the virtual sound card: for the voice tests and the voice benchmarks."""

from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path

import numpy as np

VOICES = ("en-us", "en-us+f3", "en-gb", "en-us+m5", "en-gb-x-rp+f2")
"""Five espeak-ng voices, at the rate espeak_wav is given (reflectkit.speech.VOICES
pairs eight voices with their own rates, for the hearing benchmark)."""


def espeak_wav(text: str, path: Path, voice: str = "en-us", speed: int = 150) -> Path:
    """Speak ``text`` into a 16 kHz mono int16 WAV (what recognisers and mic_feed take)."""
    raw = Path(f"{path}.raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
                   check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)],
                   check=True)
    raw.unlink()
    return path


def read_pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return w.readframes(w.getnframes())


def blocks(pcm: bytes, lead: float = 0.3, tail: float = 1.0, size: int = 640):
    """20 ms blocks of ``pcm`` framed by silence, as a microphone would deliver."""
    silence = b"\0" * (int(16000 * lead) * 2)
    data = silence + pcm + b"\0" * (int(16000 * tail) * 2)
    return [data[i:i + size] for i in range(0, len(data), size)]


def feeder(pcm: bytes, **kw):
    """A read() callable over the blocks, then None (as a quiet device would)."""
    it = iter(blocks(pcm, **kw))
    return lambda: next(it, None)


def levels(pcm: bytes, win: int = 160) -> np.ndarray:
    a = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
    n = len(a) // win
    return np.sqrt((a[:n * win].reshape(n, win) ** 2).mean(axis=1)) / 32768.0


class Recorder:
    """Records a PulseAudio source (default spk.monitor) at 16 kHz in the background.

    Sample ``i`` of the recording was captured at about ``time_of(i)``
    (monotonic): the timeline is pinned to the arrival times of the chunks
    (the earliest arrival relative to the samples before it), so two recorders
    can be compared with each other and with events in this process.
    """

    def __init__(self, device: str = "spk.monitor") -> None:
        import threading
        import time

        self.t0 = time.monotonic()
        self.buf = bytearray()
        self._offset = float("inf")
        self.proc = subprocess.Popen(
            ["parec", f"--device={device}", "--rate=16000", "--channels=1",
             "--format=s16le", "--latency-msec=10"], stdout=subprocess.PIPE)
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        import time

        while chunk := self.proc.stdout.read1(640):
            self.buf.extend(chunk)
            self._offset = min(self._offset, time.monotonic() - len(self.buf) / 32000)

    def time_of(self, sample: float) -> float:
        """Monotonic time at which sample number ``sample`` was captured."""
        return (self.t0 if self._offset == float("inf") else self._offset) + sample / 16000

    def index_at(self, t: float) -> int:
        return max(0, int(round((t - self.time_of(0)) * 16000)))

    def pcm(self) -> bytes:
        return bytes(self.buf)

    def stop(self) -> bytes:
        self.proc.terminate()
        self.proc.wait(5)
        self._thread.join(2)
        return self.pcm()

    def spans(self, since: float = 0.0, **kw) -> list[tuple[float, float]]:
        """Sounding stretches (monotonic start, end) from time ``since`` on."""
        i = self.index_at(since) if since else 0
        base = self.time_of(i)
        return [(base + a, base + b) for a, b in sound_spans(self.pcm()[2 * i:], **kw)]


class Card:
    """A private set of virtual devices (P_spk, P_feed, P_mic) on the test
    PulseAudio server, so that other sessions on the same server (e.g. another
    test run) neither hear nor are heard by this one."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.spk, self.feed, self.mic = f"{prefix}_spk", f"{prefix}_feed", f"{prefix}_mic"
        _script("--card", prefix)

    def echo(self, volume: int = 55) -> None:
        """Loop what the speaker plays back into the microphone feed, quieter."""
        _script("--echo", str(volume), self.prefix)

    def no_echo(self) -> None:
        _script("--no-echo", self.prefix)

    def close(self) -> None:
        _script("--drop-card", self.prefix)

    @property
    def args(self) -> tuple[str, ...]:
        """Command-line options that put `reflect` on these devices."""
        return ("--input-device", self.mic, "--output-device", self.spk)


def _script(*args: str) -> None:
    root = Path(__file__).resolve().parent.parent
    subprocess.run([str(root / "scripts" / "sound-server.sh"), *args], check=True)


def play_into_mic(path: Path, volume: float = 1.0, wait: bool = True, feed: str = "mic_feed"):
    """The simulated user speaks: play a WAV into the mic_feed sink."""
    cmd = ["paplay", f"--device={feed}", f"--volume={int(65536 * volume)}", str(path)]
    return subprocess.run(cmd, check=True) if wait else subprocess.Popen(cmd)


def sound_spans(pcm: bytes, threshold: float = 0.003, gap: float = 0.3) -> list[tuple[float, float]]:
    """(start, end) seconds of non-silent stretches in 16 kHz PCM."""
    lv = levels(pcm)
    spans: list[list[float]] = []
    for i, on in enumerate(lv > threshold):
        t = i * 0.01
        if on:
            if spans and t - spans[-1][1] <= gap:
                spans[-1][1] = t + 0.01
            else:
                spans.append([t, t + 0.01])
    return [(a, b) for a, b in spans]


QUIT_ASKED = r"^Reflect: .*(stop here for today|end for today)\?"
"""A spoken session asks before it ends (content/phrases.toml, quit_confirm)."""


class VoiceRun:
    """`reflect` as a subprocess on the virtual card, with a synthesised user.

    Captions come from its stdout; what it says is recorded from spk.monitor.
    """

    def __init__(self, data_dir: Path, tmp: Path, *args: str, env: dict | None = None,
                 card: "Card | None" = None) -> None:
        import os
        import sys
        import threading
        import time

        self.data_dir = data_dir
        self.tmp = tmp
        self.spoken = 0
        """Utterances the simulated user has said."""
        self.card = card
        self.feed = card.feed if card else "mic_feed"
        self.lines: list[tuple[float, str]] = []
        self.rec = Recorder(f"{card.spk if card else 'spk'}.monitor")
        self.user_rec = Recorder(f"{self.feed}.monitor")
        """What the simulated user said, on the same timeline as ``rec``."""
        root = Path(__file__).resolve().parent.parent
        full_env = {**os.environ, "PYTHONPATH": str(root), **(env or {})}
        dev_args = card.args if card else ()
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "assistant", "--data-dir", str(data_dir), *dev_args,
             *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env,
            cwd=str(root))
        self.t_launch = time.monotonic()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        self._n = 0

    def _pump(self) -> None:
        import time

        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def said(self) -> list[str]:
        return [line[9:] for _, line in self.lines if line.startswith("Reflect: ")]

    def heard(self) -> list[str]:
        return [line[5:] for _, line in self.lines if line.startswith("You: ")]

    def wait_for(self, pattern: str, timeout: float = 30.0, since: int = 0) -> float:
        """Wait for a stdout line matching ``pattern``; returns its time."""
        import re
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for t, line in self.lines[since:]:
                if re.search(pattern, line, re.I):
                    return t
            if self.proc.poll() is not None:
                # Everything it wrote is read before deciding, so a failure
                # shows its last words and exit code, not an empty log.
                self._pump_thread.join(timeout=5)
                for t, line in self.lines[since:]:
                    if re.search(pattern, line, re.I):
                        return t
                raise AssertionError(f"reflect exited with code {self.proc.returncode} waiting for "
                                     f"{pattern!r}; its output (stdout and stderr):\n{self.text()}")
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout:g} s waiting for {pattern!r}; "
                             f"{self.state()}; its output (stdout and stderr):\n{self.text()}")

    def state(self) -> str:
        """Whether the process is still running, or how it exited (for failures).
        Once it has exited, everything it wrote is read first."""
        rc = self.proc.poll()
        if rc is None:
            return "reflect is still running"
        self._pump_thread.join(timeout=5)
        return f"reflect has exited with code {rc}"

    def mark(self) -> int:
        return len(self.lines)

    def goodbye(self, voice: str = "en-us", tries: int = 3) -> int:
        """Say "goodbye", and "yes" when asked whether to stop for today (a
        spoken session asks first); say it again if it was not understood.
        The number of times "goodbye" was said once it was taken (true),
        else 0."""
        for attempt in range(1, tries + 1):
            self.wait_listening()
            m = self.mark()
            self.user("goodbye", voice)
            try:
                t = self.wait_for(QUIT_ASKED + r"|^Reflect: .*goodbye\.$", 15, since=m)
            except AssertionError:
                continue
            if re.search(QUIT_ASKED, next(l for tt, l in self.lines[m:] if tt == t), re.I):
                self.wait_listening()
                m = self.mark()
                self.user("yes", voice)
                try:
                    self.wait_for(r"^Reflect: .*goodbye\.$", 15, since=m)
                except AssertionError:
                    continue
            return attempt
        return 0

    def speaker_quiet_for(self, seconds: float) -> bool:
        pcm = self.rec.pcm()[-int(16000 * seconds) * 2:]
        return len(pcm) >= int(16000 * seconds) * 2 and levels(pcm).max(initial=0) < 0.003

    def wait_listening(self, timeout: float = 60.0, quiet: float = 1.0) -> None:
        """Wait until it has finished speaking (speaker quiet) and so listens."""
        import time

        end = time.monotonic() + timeout
        time.sleep(0.3)
        while time.monotonic() < end:
            if self.said() and self.speaker_quiet_for(quiet):
                return
            if self.proc.poll() is not None and not self.said():
                break  # it exited before saying anything: it never will
            time.sleep(0.1)
        raise AssertionError(f"never went quiet (nothing said, or the speaker kept sounding) "
                             f"within {timeout:g} s; {self.state()}; its output (stdout and "
                             f"stderr):\n{self.text()}")

    def user(self, text: str, voice: str = "en-us", wait: bool = True, speed: int = 150):
        """The simulated user says ``text`` into the microphone; returns end time."""
        import time

        self.spoken += 1
        wav = espeak_wav(text, self.tmp / f"u{len(self.lines)}_{abs(hash(text))}.wav", voice, speed)
        proc = play_into_mic(wav, wait=False, feed=self.feed)
        if wait:
            proc.wait()
            return time.monotonic()
        return proc

    def user_with_pauses(self, parts: list[str], pauses: list[float], voice: str = "en-us",
                         speed: int = 150) -> float:
        """One utterance said in parts with exactly these pauses between them
        (a person thinking), played as one recording so that neither
        synthesis nor player start-up lengthens a pause; returns end time."""
        import time

        from reflectkit.speech import speak_with_pauses, write_wav

        self.spoken += 1
        audio, _ = speak_with_pauses(parts, pauses, voice, speed)
        pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
        wav = write_wav(self.tmp / f"u{len(self.lines)}_{abs(hash(tuple(parts)))}.wav", pcm)
        play_into_mic(wav, feed=self.feed)
        return time.monotonic()

    def finish(self, timeout: float = 20.0) -> int:
        try:
            rc = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.rec.stop()
            self.user_rec.stop()
        return rc


class RoomNoise:
    """A room's noise floor (pink noise at ``dbfs`` RMS) played into the
    microphone feed for as long as the ``with`` block lasts."""

    def __init__(self, feed: str, dbfs: float, tmp: Path) -> None:
        from reflectkit.speech import pink_noise, write_wav

        pcm = (pink_noise(16000 * 20, dbfs, seed=7) * 32767).astype("<i2").tobytes()
        self.wav = write_wav(tmp / f"room{dbfs:+.0f}.wav", pcm)
        self.feed = feed
        self._stop = False
        self._proc = None

    def _loop(self) -> None:
        while not self._stop:
            self._proc = subprocess.Popen(["paplay", f"--device={self.feed}", str(self.wav)])
            self._proc.wait()

    def __enter__(self) -> "RoomNoise":
        import threading

        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True
        if self._proc is not None:
            self._proc.terminate()
        self._thread.join(5)


def speak_on_card(card: Card, tts, text: str, limit: float = 60.0) -> tuple[float, float]:
    """Say ``text`` as a session does (``SpeechFeed``) on ``card``'s speaker,
    recorded from its monitor: (seconds until playing began, seconds from
    the first sound heard to the last; 0 when nothing was heard)."""
    import time

    from assistant.voice.devices import Player
    from assistant.voice.speaking import SpeechFeed

    player = Player(card.spk)
    rec = Recorder(f"{card.spk}.monitor")
    try:
        time.sleep(0.3)
        t0 = time.monotonic()
        feed = SpeechFeed(tts, player, text)
        started = time.monotonic() - t0
        while player.playing or feed.pending:
            time.sleep(0.05)
            assert time.monotonic() - t0 < limit, f"still speaking after {limit:.0f} s"
        time.sleep(0.3)
    finally:
        player.close()
        pcm = rec.stop()
    sound = np.nonzero(levels(pcm[2 * rec.index_at(t0):]) > 0.003)[0]
    return started, (sound[-1] - sound[0]) * 0.01 if len(sound) else 0.0
