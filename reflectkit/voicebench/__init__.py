"""The pieces of scripts/bench_voice.py: how a figure is measured and
tabulated (measure), the benchmarks run in this process (inprocess), and the
reports written from the figures (report). The session runs are in the
script itself."""

SILENCE = 0.6
"""End-of-utterance silence configured for the session runs (--silence)."""
VOICES = ("en-us", "en-us+f3", "en-gb")
COMMAND = "python scripts/bench_voice.py --runs 20"
