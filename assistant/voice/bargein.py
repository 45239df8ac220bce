"""Echo-aware barge-in: is the user talking over what we play?

A recogniser listening during playback hears our own voice and turns it into
command words. Instead we compare the microphone level with the echo we expect
from what we are playing: we know our output level, and we learn the
speaker-to-microphone ratio while only we speak. When the microphone stays
well above that expectation for ~100 ms, the user is talking.

The played level is the loudest block of the last ``window`` seconds, so the
delay between a block leaving us and its echo reaching the microphone (about
0.15 s through PulseAudio) is covered without knowing it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BargeIn:
    hold: float = 0.10
    """Seconds the microphone must stay above the expectation. A short "stop"
    is loud for only its vowel, 100-150 ms in many voices: at 0.15 s a third
    of them went unheard over a reading with echo; at 0.10 s none did, and
    our own echo still set nothing off (docs/hearing.md)."""
    margin: float = 3.0
    """How far above the expected echo counts as the user (3x = ~10 dB)."""
    floor: float = 0.015
    """Absolute RMS (0..1) below which nothing counts as speech."""
    ratio: float = 0.5
    """Learnt mic/speaker echo ratio; starts pessimistic and is then learnt."""
    rise: float = 0.1
    """Per-block smoothing when the echo is louder than the estimate."""
    fall: float = 0.01
    """... and when it is quieter: the estimate follows the loud end of the
    echo (the mic's level varies with each sound), not its average."""
    first_fall: float = 0.04
    """The same for the first ``first_blocks`` learnt: the pessimistic start
    falls to the room's echo within about a second of our speaking, so the
    user can interrupt the very first prompt."""
    first_blocks: int = 75
    min_ratio: float = 0.02
    max_ratio: float = 2.0
    window: float = 0.4
    """Seconds of played audio whose loudest block sets the expected echo."""
    _above: float = field(default=0.0, init=False)
    learnt: int = field(default=0, init=False)
    """Blocks learnt from so far (0: the ratio is still the pessimistic guess)."""

    def reset(self) -> None:
        """Start a new detection (e.g. for the next sentence); keeps the ratio."""
        self._above = 0.0

    def expected(self, played: float) -> float:
        """Microphone level our own voice alone would give."""
        return self.ratio * played

    def threshold(self, played: float) -> float:
        """Microphone level above which it is the user, not our echo."""
        return max(self.floor, self.margin * self.expected(played))

    def push(self, mic: float, played: float, seconds: float = 0.02) -> bool:
        """One microphone block's RMS and the recent output RMS; True = user talks."""
        if mic > self.threshold(played):
            self._above += seconds
            return self._above >= self.hold
        # One quiet block inside a word (a stop consonant) should not start over.
        self._above = max(0.0, self._above - seconds)
        if played > 0.01 and not self._above:
            # Only we are speaking: learn how loud our echo is.
            observed = min(self.max_ratio, max(self.min_ratio, mic / played))
            fall = self.first_fall if self.learnt < self.first_blocks else self.fall
            rate = self.rise if observed > self.ratio else fall
            self.ratio += rate * (observed - self.ratio)
            self.learnt += 1
        return False

    @property
    def building(self) -> bool:
        """True while some loudness is accumulating (keep those blocks as pre-roll)."""
        return self._above > 0.0
