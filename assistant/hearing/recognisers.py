"""Speech recognition: Vosk when a model is present, embedded pocketsphinx otherwise.

Both recognisers take 16 kHz mono int16 PCM. Where a step expects commands or
short answers they are restricted to those phrases (Vosk runtime grammar with
"[unk]", pocketsphinx JSGF); where an open answer is welcome Vosk recognises
freely. End of utterance is decided here by signal energy, so the silence
length is ours to configure rather than the decoder's.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Protocol, Sequence

import numpy as np

from assistant.content.text import lower_words
from assistant.hearing.frontend import Endpointer, block_rms

RATE = 16000


class AsrError(RuntimeError):
    """The recogniser cannot be used (message is one clear sentence)."""


@dataclass(frozen=True)
class Result:
    text: str
    confidence: float = 1.0
    audio_seconds: float = 0.0
    """Length of the utterance audio that was decoded."""
    engine: str = ""
    """Which recogniser's words these are (vosk, sphinx, whisper)."""


class Recognizer(Protocol):
    name: str

    def start(self, expect: Optional[Sequence[str]], open_: bool = False) -> None:
        """Begin an utterance; ``expect`` restricts it, None recognises freely;
        ``open_``: a free answer is welcome."""

    def feed(self, pcm: bytes) -> str:
        """Add audio; returns the partial transcript so far ("" if none)."""

    def finish(self) -> Result:
        """End the utterance and return the final transcript."""


def normalise(phrase: str) -> str:
    """Lower case words and apostrophes only: what grammars accept."""
    return lower_words(phrase, apostrophes="")  # the basic normal form (content/text.py)


# ---------------------------------------------------------------- Vosk


def _quiet_vosk():
    try:
        import vosk
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise AsrError("the vosk package is not installed (pip install vosk)") from exc
    vosk.SetLogLevel(-2)  # Kaldi logs loads and grammar warnings; keep the terminal for captions
    return vosk


class VoskRecognizer:
    """Vosk with a runtime grammar for expected phrases and free recognition otherwise."""

    name = "vosk"

    def __init__(self, model_dir: str) -> None:
        vosk = _quiet_vosk()
        self.model_dir = model_dir
        try:
            self._model = vosk.Model(model_dir)
        except Exception as exc:
            raise AsrError(f"the Vosk model in {model_dir} could not be loaded; it is "
                           "incomplete or not a Vosk model (run `reflect model fetch`)") from exc
        self._vosk = vosk
        self._rec = None
        self._audio = bytearray()
        self._expect: Optional[list[str]] = None

    def start(self, expect: Optional[Sequence[str]], open_: bool = False) -> None:
        phrases = sorted({normalise(p) for p in expect or () if normalise(p)})
        self._expect = phrases or None
        if self._expect:
            grammar = json.dumps(self._expect + ["[unk]"], ensure_ascii=False)
            self._rec = self._vosk.KaldiRecognizer(self._model, RATE, grammar)
        else:
            self._rec = self._vosk.KaldiRecognizer(self._model, RATE)
        self._rec.SetWords(True)
        self._audio = bytearray()

    def feed(self, pcm: bytes) -> str:
        self._audio += pcm
        if self._rec.AcceptWaveform(pcm):
            return json.loads(self._rec.Result()).get("text", "")
        return json.loads(self._rec.PartialResult()).get("partial", "")

    def cancel(self) -> None:
        """End the utterance without decoding it."""
        self._rec = None

    def finish(self) -> Result:
        res = json.loads(self._rec.FinalResult())
        text, conf = _vosk_text(res)
        secs = len(self._audio) / 2 / RATE
        if self._expect and not text and secs > 0.3:
            # Said something outside the grammar: recognise it freely so the
            # dialog engine's fuzzy matcher still gets words to work with.
            free = self._vosk.KaldiRecognizer(self._model, RATE)
            free.SetWords(True)
            free.AcceptWaveform(bytes(self._audio))
            text, conf = _vosk_text(json.loads(free.FinalResult()))
            conf *= 0.8
        return Result(text, conf, secs, self.name)


def _vosk_text(res: dict) -> tuple[str, float]:
    words = [w for w in res.get("result", []) if w.get("word") != "[unk]"]
    text = " ".join(w for w in res.get("text", "").split() if w != "[unk]")
    conf = float(np.mean([w.get("conf", 1.0) for w in words])) if words else (1.0 if text else 0.0)
    return text, conf


# ---------------------------------------------------------------- pocketsphinx


LANGUAGE_WEIGHT = 13.0
RESCUED_CONFIDENCE = 0.45
"""Below the engine's 0.5: a command recognised this way is confirmed first."""
FREE_SEARCH = "free"  # the language model's search; grammars are g1, g2 ...
GRAMMAR_CACHE = 4
"""Compiled step grammars kept for reuse. Each distinct set of expected
phrases compiles to a search that holds memory (0.4-3 MB) until removed, and
a long session meets many; compiling one again takes about 1 ms."""


class SphinxRecognizer:
    """pocketsphinx with its bundled US English model; JSGF of the expected phrases."""

    name = "sphinx"

    def __init__(self, free: bool = True) -> None:
        """``free``: load the language model (65 MB, 0.2 s) now, not when first needed."""
        try:
            from pocketsphinx import Config, Decoder
        except ImportError as exc:  # pragma: no cover - dependency is declared
            raise AsrError("the pocketsphinx package is not installed") from exc
        # lw: a grammar's word transitions weigh more than the default 6.5;
        # 13 recognised 60-65 of 70 commands over five espeak-ng voices where
        # the default got 52-57 (scripts/bench_voice.py has the figures).
        self._dec = Decoder(samprate=RATE, loglevel="FATAL", lw=LANGUAGE_WEIGHT, lm=None)
        self._lm: Optional[str] = Config()["lm"]  # its file, until loaded
        if free:
            self._free_search()
        self._grammars: OrderedDict[tuple[str, ...], str] = OrderedDict()
        self._made = 0
        self._frames = 0
        self._accept: Optional[frozenset[str]] = None

    def _phrases(self, expect: Iterable[str]) -> list[str]:
        """Phrases whose every word the dictionary knows (others cannot be decoded)."""
        ok = []
        for p in {normalise(x) for x in expect}:
            if p and all(self._dec.lookup_word(w) for w in p.split()):
                ok.append(p)
        return sorted(ok)

    def start(self, expect: Optional[Sequence[str]], open_: bool = False) -> None:
        phrases = self._phrases(expect or ())
        if phrases:
            key = tuple(phrases)
            name = self._grammars.get(key)
            if name is None:
                self._made += 1
                name = f"g{self._made}"
                body = " | ".join(phrases)
                self._dec.add_jsgf_string(name, f"#JSGF V1.0;\ngrammar g;\npublic <s> = {body};\n")
                self._grammars[key] = name
            self._grammars.move_to_end(key)
            self._dec.activate_search(name)
            while len(self._grammars) > GRAMMAR_CACHE:  # least recently used go
                _, old = self._grammars.popitem(last=False)
                self._dec.remove_search(old)
            self._accept = frozenset(phrases)
        else:
            self._free_search()
            self._accept = None
        self._dec.start_utt()
        self._frames = 0
        self._audio = bytearray()

    def _free_search(self) -> None:
        """Recognise with the bundled language model (loaded on first use)."""
        if self._lm is not None:
            self._dec.add_lm_file(FREE_SEARCH, self._lm)
            self._lm = None
        self._dec.activate_search(FREE_SEARCH)

    def feed(self, pcm: bytes) -> str:
        if not pcm:
            return ""
        self._dec.process_raw(pcm, False, False)
        self._frames += len(pcm) // 2
        self._audio += pcm
        hyp = self._dec.hyp()
        return hyp.hypstr if hyp else ""

    def finish(self) -> Result:
        text, conf = self._end()
        secs = self._frames / RATE
        if self._accept is not None and secs > 0.5 and (
                not text or len(text.split()) < 0.5 * (secs - 1.0)):
            # Nothing, or a word or two for seconds of speech: typically the
            # first words of a new voice, decoded before the cepstral mean had
            # adapted to it. It has adapted now: decode the utterance once more.
            self._dec.start_utt()
            self._dec.process_raw(bytes(self._audio), False, False)
            again, conf2 = self._end()
            if again:
                text, conf = again, conf2
        return Result(text, conf if text else 0.0, secs, self.name)

    def cancel(self) -> None:
        """End the utterance without decoding it."""
        self._dec.end_utt()

    @property
    def adaptation(self) -> str:
        """The cepstral mean learnt from the user's voice and microphone so far
        (kept between sessions: the first words of a session decode better)."""
        return self._dec.get_cmn(False)

    @adaptation.setter
    def adaptation(self, value: str) -> None:
        try:
            if value and len(value.split(",")) == len(self._dec.get_cmn(False).split(",")):
                self._dec.set_cmn(value)
        except Exception:  # a damaged value: start from the model's default
            pass

    def _best_complete(self, n: int = 20) -> str:
        try:
            for i, h in enumerate(self._dec.nbest()):
                if h.hypstr in self._accept:
                    return h.hypstr
                if i >= n:
                    break
        except Exception:  # no lattice for this utterance
            pass
        return ""

    def _end(self) -> tuple[str, float]:
        self._dec.end_utt()
        hyp = self._dec.hyp()
        text = hyp.hypstr if hyp else ""
        if self._accept is not None and text not in self._accept:
            # No path reached the grammar's end: the best partial path ("where
            # are", "read me the section about the") is not something said.
            # The best complete phrase among the alternatives may be; it is
            # shaky, so its confidence makes the engine ask before acting.
            text = self._best_complete()
            return text, RESCUED_CONFIDENCE if text else 0.0
        # hyp.prob is a log posterior; map it into [0, 1] for the engine.
        conf = min(1.0, math.exp(max(-50.0, hyp.prob / 1000.0))) if hyp and text else 0.0
        return text, conf


# ---------------------------------------------------------------- choice


def make_recognizer(engine: str = "auto", model: Optional[str] = None,
                    free: bool = True) -> Recognizer:
    """``auto`` uses Vosk if a model is found, else the embedded pocketsphinx;
    ``free``: free speech is its to recognise (no Whisper beside it)."""
    from assistant.models import vosk as models

    if engine not in ("auto", "vosk", "sphinx"):
        raise AsrError(f"unknown recogniser {engine!r}; choose auto, vosk or sphinx")
    if engine == "sphinx":
        return SphinxRecognizer(free)
    found = models.resolve_model(model)
    if found is None:
        if engine == "vosk" or model:
            raise AsrError("no Vosk model found; run `reflect model fetch` "
                           "or pass --model DIR")
        return SphinxRecognizer(free)
    return VoskRecognizer(str(found))


# ---------------------------------------------------------------- endpointing


def recognise_stream(read: Callable[[], Optional[bytes]], rec: Recognizer,
                     expect: Optional[Sequence[str]], silence: float = 0.8,
                     timeout: Optional[float] = 8.0, max_seconds: float = 30.0,
                     preroll: Sequence[bytes] = (), started: bool = False,
                     on_partial: Optional[Callable[[str], None]] = None,
                     threshold: float = 0.01,
                     gate: Optional[Callable[[], float]] = None,
                     on_end: Optional[Callable[[], None]] = None,
                     open_: bool = False) -> Optional[Result]:
    """Recognise one utterance from ``read()`` blocks.

    Returns None when no speech began within ``timeout`` seconds (None: wait
    for ever). ``preroll`` blocks (captured before the call, e.g. while
    detecting barge-in) are decoded first; ``started`` says speech already began.
    ``gate()``, called after each read, is the level the block just read must
    reach to count as speech (the expected echo); ``on_end()`` is called when
    the end of the utterance is detected, before the final decoding.
    ``open_``: a free answer is welcome; a recogniser with ``turn_over(quiet,
    silence)`` then decides when the person has finished. Every block passes
    the front end's dither first (exact zeros derail grammar decoding).
    """
    from assistant.hearing.frontend import dither

    turn_over = getattr(rec, "turn_over", None)
    from collections import deque

    ep = Endpointer(silence=silence, threshold=threshold)
    ep.started = started
    rec.start(expect, open_)
    lead: deque[bytes] = deque(maxlen=15)
    """Last 300 ms before speech began, decoded once it does (no clipped onset)."""
    waited = heard = 0.0
    last = ""
    for block in preroll:
        rec.feed(dither(block))
        heard += len(block) / 2 / RATE
    while True:
        block = read()
        if block is None:  # the device delivered nothing for a while
            waited += 0.5
            if timeout is not None and not ep.started and waited >= timeout:
                rec.finish()
                return None
            continue
        secs = len(block) / 2 / RATE
        was_started = ep.started
        ended = ep.push(block_rms(block), secs, gate() if gate else 0.0)
        block = dither(block)
        if turn_over is not None and ep.started:
            ended = ep.quiet > 0 and turn_over(ep.quiet, silence)
        if not ep.started:
            lead.append(block)
            waited += secs
            if timeout is not None and waited >= timeout:
                rec.finish()
                return None
            continue
        if not was_started:
            for b in lead:
                rec.feed(b)
            lead.clear()
        heard += secs
        partial = rec.feed(block)
        if on_partial and partial and partial != last:
            last = partial
            on_partial(partial)
        if ended or heard >= max_seconds:
            break
    if on_end:
        on_end()
    return rec.finish()
