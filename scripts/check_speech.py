#!/usr/bin/env python3
"""Listen to everything Reflect says, before users do.

Collects every spoken text (section scripts, engine phrasings, safety reply,
the article read through `speakable`), then:
  1. flags text a synthesiser stumbles on: '&', digits, symbols, parentheses,
     all-capital abbreviations, and sentences over 25 words;
  2. asks espeak-ng (the synthesiser pyttsx3 drives) for the phonemes of
     every distinct word and lists words it spells out letter by letter or
     does not know (several stressed syllables in one short word);
  3. with --out DIR, renders every text to WAV with the project's own speech
     output (assistant.speech.tts) so that a person can listen through a sample.

Exit status 1 when anything in the assistant's own phrasings (not the
author's article) is flagged.

    python scripts/check_speech.py [--out DIR] [--sample N]
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from pathlib import Path

# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.content.article import speakable  # noqa: E402
from assistant.content.files import content_dir, load_toml  # noqa: E402
from assistant.dialog.session import load_content  # noqa: E402

_RISKY = [
    (re.compile(r"&"), "ampersand"),
    (re.compile(r"\d"), "digit"),
    (re.compile(r"[()\[\]{}/\\@#%*_|<>~^=+]"), "symbol"),
    (re.compile(r"\b[A-Z]{2,}\b"), "abbreviation"),
    (re.compile(r"\b(e\.g|i\.e|etc|vs)\b\.?", re.I), "abbreviation"),
]


def spoken_texts() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(where, text) for the assistant's phrasings, and for the article."""
    c = load_content()
    own: list[tuple[str, str]] = []
    for sec in c.script.sections:
        for step in sec.steps.values():
            for t in step.say + step.ack:
                own.append((f"{sec.id}.{step.id}", t))
            for intent in step.intents.values():
                for t in intent.ack:
                    own.append((f"{sec.id}.{step.id}.{intent.name}", t))
    phrases = load_toml(content_dir() / "phrases.toml")
    for key, value in phrases.items():
        if isinstance(value, list):
            own += [(f"phrases.{key}", v) for v in value]
    for key, value in c.safety.reply.items():
        own += [(f"safety.{key}", v) for v in value]
    article = [(f"article.{s.title}", speakable(t)) for s in c.script.article.sections for t in s.sentences]
    return own, article


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def text_problems(text: str) -> list[str]:
    text = re.sub(r"\{\w+\}", "it", text)  # placeholders are filled in later
    found = [name for rx, name in _RISKY if rx.search(text)]
    long = [s for s in sentences(text) if len(s.split()) > 25]
    if long:
        found.append(f"sentence of {len(long[0].split())} words")
    return found


def phonemes(words: list[str]) -> dict[str, str]:
    """espeak-ng's phonemes per word (one process for all words)."""
    out = subprocess.run(["espeak-ng", "-q", "-x", "-v", "en-us"], input="\n".join(words),
                         capture_output=True, text=True, check=True).stdout
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    return dict(zip(words, lines)) if len(lines) == len(words) else {}


def suspicious(word: str, ph: str) -> bool:
    # Letter-by-letter spelling shows as one stress mark per letter.
    stresses = ph.count("'") + ph.count(",")
    return len(word) <= 5 and stresses >= 3 or (word.isupper() and len(word) > 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="render WAVs of every text into this folder")
    ap.add_argument("--sample", type=int, default=0, help="render only N random texts")
    args = ap.parse_args()

    own, article = spoken_texts()
    flagged_own = 0
    for where, text in own + article:
        problems = text_problems(text)
        if problems:
            mine = not where.startswith("article.")
            flagged_own += mine
            print(f"{'FIX ' if mine else 'note'} {where}: {', '.join(problems)}: {text}")

    words = sorted({w.strip(".,;:!?\"'").lower() for _, t in own + article for w in t.split()} - {""})
    ph = phonemes(words)
    odd = [w for w in words if w in ph and suspicious(w, ph[w])]
    for w in odd:
        print(f"check pronunciation: {w!r} -> {ph[w]}")
    print(f"{len(own)} phrasings of the assistant, {len(article)} article sentences, "
          f"{len(words)} distinct words; {flagged_own} phrasing(s) to fix, {len(odd)} word(s) to check")

    if args.out:
        from assistant.speech.tts import Tts, write_wav

        tts = Tts()
        items = own + article
        if args.sample:
            items = random.Random(0).sample(items, min(args.sample, len(items)))
        args.out.mkdir(parents=True, exist_ok=True)
        total = 0.0
        for i, (where, text) in enumerate(items):
            total += write_wav(str(args.out / f"{i:04d}_{where[:60]}.wav"), [tts.synth(text)])
        print(f"rendered {len(items)} texts, {total / 60:.1f} minutes of speech, into {args.out}")
    return 1 if flagged_own else 0


if __name__ == "__main__":
    raise SystemExit(main())
