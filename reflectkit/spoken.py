"""A simulated user in a spoken session: says commands the way a person
does (again when not understood, "yes" when asked to confirm), and reads the
captions, the recordings and `reflect status/journal --json` afterwards.
Shared by the end-to-end voice tests and scripts/bench_voice.py."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path

from reflectkit.voicerun import QUIT_ASKED, VoiceRun, levels

ROOT = Path(__file__).resolve().parent.parent
ENDING = "end for today"
"""What a confirmation question names when it means goodbye: to any other
("did you want to continue?", after "goodbye" heard as "go on") the
simulated user says no, as a person would, and says goodbye again."""


def reflect_json(data_dir: Path, *cmd: str):
    out = subprocess.run([sys.executable, "-m", "assistant", *cmd, "--json",
                          "--data-dir", str(data_dir)], capture_output=True, text=True,
                         cwd=str(ROOT), check=True).stdout
    return json.loads(out)


def silent_after(run: VoiceRun, t_from: float, quiet: float = 0.3) -> float:
    """Seconds after ``t_from`` (monotonic) until the speaker fell silent for ``quiet`` s."""
    i0 = run.rec.index_at(t_from)
    lv = levels(run.rec.pcm()[2 * i0:])  # 10 ms frames
    n, still = int(quiet / 0.01), 0
    for i, v in enumerate(lv):
        still = still + 1 if v < 0.003 else 0
        if still >= n:
            return (i - n + 1) * 0.01
    return float("inf")


def user_end(run: VoiceRun, after: float) -> float:
    """When the user's last utterance (started after ``after``) ended, as heard at the feed."""
    spans = run.user_rec.spans(after, gap=0.25)
    assert spans, "the simulated user's speech was not recorded"
    return spans[-1][1]


def heard_since(run: VoiceRun, m: int) -> list[str]:
    return [line[5:] for _, line in run.lines[m:] if line.startswith("You: ")]


def said_since(run: VoiceRun, m: int) -> list[str]:
    return [line[9:] for _, line in run.lines[m:] if line.startswith("Reflect: ")]


@functools.lru_cache(maxsize=1)
def grammar() -> dict[str, tuple[str, ...]]:
    """The grammar phrases of each intent (loaded once, on first use)."""
    from assistant.content.phrases import load_grammar
    from assistant.content.scripts import load_scripts

    return load_grammar([s.spoken_title for s in load_scripts().sections])


def intents(heard: list[str]) -> list[str]:
    """The grammar intent of each caption (the recogniser outputs grammar
    phrases, e.g. "bye" for "goodbye": the same command)."""
    out = []
    for h in heard:
        found = [i for i, phrases in grammar().items()
                 if h in (p.lower().replace("?", "").replace(",", "") for p in phrases)]
        if h.startswith("read me the section about "):  # sections by short name too
            found = ["read_section"]
        out.append(found[0] if found else h)
    return out


NOT_UNDERSTOOD = r"^You: \(not understood\)|^Reflect: .*(didn't quite catch|didn't understand that)"
"""Nothing recognised, or words the engine did not understand: a person says it again."""
CONFIRM = r"^Reflect: (Did you mean|Just to check)"


def command(run: VoiceRun, text: str, voice: str, reply: str, timeout: float = 20.0,
            facts: dict | None = None, key: str = "", means: str = "") -> list[str]:
    """The user says ``text`` and waits for a ``reply`` line. Like a person, says
    it once more when told it was not understood, and "yes" when asked whether
    that is what they meant (counted in facts["repeats"]) -- or "no", then says
    it again, when the question names something else than ``means`` (a regex).
    Returns what was heard (captions) since the first try, minus those detours."""
    run.wait_listening()
    m = run.mark()
    say = text
    confirmed = False
    for attempt in range(4):
        m_try = run.mark()
        run.user(say, voice)
        t = run.wait_for(f"{reply}|{NOT_UNDERSTOOD}|{CONFIRM}|{QUIT_ASKED}", timeout, since=m_try)
        line = next(line for tt, line in run.lines[m_try:] if tt == t)
        if re.search(reply, line, re.I) and not re.search(CONFIRM, line) or attempt == 3:
            break
        if re.search(QUIT_ASKED, line, re.I):  # "shall we stop here for today?": yes
            confirmed, say = True, "yes"
            run.wait_listening()
            continue
        if facts is not None:
            facts["repeats"] = facts.get("repeats", 0) + 1
        if re.search(CONFIRM, line) and means and not re.search(means, line, re.I):
            run.wait_listening()
            m_no = run.mark()
            run.user("no", voice)  # not what I meant ...
            run.wait_for(r"^Reflect: ", timeout, since=m_no)
            say = text  # ... and say it again
        elif re.search(CONFIRM, line):
            confirmed, say = True, "yes"
        else:
            say = text
        run.wait_listening()
    run.wait_for(reply, timeout, since=m)
    heard = heard_since(run, m)
    if facts is not None and key:
        facts[key] = [h for h in heard if h != "(not understood)"
                      and not (confirmed and intents([h]) == ["yes"])]
    return heard
