"""The soak's simulated user (scripts/soak.py): constant room noise in the
microphone feed, and a schedule of long silences, nonsense, real answers
and noise bursts in several espeak-ng voices."""

from __future__ import annotations

import random
import subprocess
import threading
from pathlib import Path

from reflectkit.voicerun import espeak_wav

NONSENSE = [
    "blue spoon under the hat", "fourteen marmalade engines", "wobbly kettle gravy",
    "the quantum pancake forgot", "ladder of soft cheese", "um ah hmm er",
    "banana telephone protocol", "seven lazy umbrellas sang", "zip zap zoo flamingo",
    "purple", "okay so anyway", "nope nope nope",
]
REAL = [
    "yes", "no", "i'm not sure", "i just want to reflect on trust", "resume", "go on",
    "next", "repeat that", "where are we", "what can i say", "let's take a break",
    "read me the section about forgiveness", "stop", "slower", "faster",
    "i feel safe when people keep their word", "my partner lied to me about money",
    "it still hurts when i think about it", "go to the apology section", "go back",
]
VOICES = ("en-us", "en-us+f3", "en-gb", "en-us+m5")
PAUSED_SKIP = {"resume", "go on", "yes", "next", "go to the apology section",
               "read me the section about forgiveness", "go back", "repeat that"}
"""Lines that would end a break."""


def noise_wav(path: Path, seconds: float, kind: str = "pinknoise", gain_db: float = -30) -> Path:
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(path), "synth",
                    str(seconds), kind, "gain", str(gain_db)], check=True)
    return path


class User:
    """Plays into the microphone feed: constant background noise, plus a
    schedule of long silences, nonsense, real answers and noise bursts."""

    def __init__(self, feed: str, tmp: Path, rng: random.Random, paused: bool = False) -> None:
        self.feed, self.rng, self.paused = feed, rng, paused
        self.stop = threading.Event()
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.spoken: dict[str, int] = {"silence": 0, "nonsense": 0, "real": 0, "burst": 0}
        self.background = noise_wav(tmp / "background.wav", 30, "pinknoise", -38)
        self.bursts = [noise_wav(tmp / f"burst{i}.wav", rng.uniform(0.2, 1.5), kind, rng.uniform(-20, -8))
                       for i, kind in enumerate(("whitenoise", "brownnoise", "pinknoise"))]
        self.nonsense = [espeak_wav(t, tmp / f"n{i}.wav", rng.choice(VOICES)) for i, t in enumerate(NONSENSE)]
        # On a break, the room talks (a television, a phone call) but nobody
        # says "resume" or "goodbye": the session must listen all along.
        real = [t for t in REAL if t not in PAUSED_SKIP] if paused else REAL
        self.real = [espeak_wav(t, tmp / f"r{i}.wav", rng.choice(VOICES)) for i, t in enumerate(real)]
        self._threads = [threading.Thread(target=self._noise, daemon=True),
                         threading.Thread(target=self._talk, daemon=True)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def close(self) -> None:
        self.stop.set()
        with self._lock:
            for proc in self._procs:
                proc.terminate()
        for t in self._threads:
            t.join(10)

    def _play(self, wav: Path) -> None:
        with self._lock:
            if self.stop.is_set():
                return
            proc = subprocess.Popen(["paplay", f"--device={self.feed}", str(wav)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._procs.add(proc)
        proc.wait()
        with self._lock:
            self._procs.discard(proc)

    def _noise(self) -> None:
        while not self.stop.is_set():
            self._play(self.background)

    def _talk(self) -> None:
        rng = self.rng
        while not self.stop.is_set():
            r = rng.random()
            if r < 0.25:
                self.spoken["silence"] += 1
                self.stop.wait(rng.uniform(8, 35))  # a long silence
                continue
            if r < 0.5:
                kind, wav = "nonsense", rng.choice(self.nonsense)
            elif r < 0.85:
                kind, wav = "real", rng.choice(self.real)
            else:
                kind, wav = "burst", rng.choice(self.bursts)
            self.spoken[kind] += 1
            self._play(wav)
            self.stop.wait(rng.uniform(1.0, 6.0))
