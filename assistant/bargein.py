"""Echo-aware barge-in: is the user talking over what we play?

A recogniser listening during playback hears our own voice and turns it into
command words. Instead we compare the microphone level with the echo we expect
from what we are playing: we know our output level, and we learn the
speaker-to-microphone ratio while only we speak. When the microphone stays
well above that expectation for ~150 ms, the user is talking.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BargeIn:
    hold: float = 0.15
    """Seconds the microphone must stay above the expectation."""
    margin: float = 3.0
    """How far above the expected echo counts as the user (3x = ~10 dB)."""
    floor: float = 0.015
    """Absolute RMS (0..1) below which nothing counts as speech."""
    ratio: float = 0.5
    """Learnt mic/speaker echo ratio; starts pessimistic, falls as we learn."""
    learn: float = 0.05
    """Per-block smoothing of the ratio estimate."""
    max_ratio: float = 2.0
    _above: float = field(default=0.0, init=False)

    def reset(self) -> None:
        """Start a new detection (e.g. for the next sentence); keeps the ratio."""
        self._above = 0.0

    def expected(self, played: float) -> float:
        return self.ratio * played

    def push(self, mic: float, played: float, seconds: float = 0.02) -> bool:
        """One microphone block's RMS and the recent output RMS; True = user talks."""
        threshold = max(self.floor, self.margin * self.expected(played))
        if mic > threshold:
            self._above += seconds
            return self._above >= self.hold
        # One quiet block inside a word (a stop consonant) should not start over.
        self._above = max(0.0, self._above - seconds)
        if played > 0.01 and not self._above:
            # Only we are speaking: learn how loud our echo is. Slowly both ways,
            # so the start of the user's words cannot teach us to ignore them.
            observed = min(self.max_ratio, mic / played)
            self.ratio += self.learn * (observed - self.ratio)
        return False

    @property
    def building(self) -> bool:
        """True while some loudness is accumulating (keep those blocks as pre-roll)."""
        return self._above > 0.0
