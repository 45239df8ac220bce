"""Helpers shared by the benchmarks (scripts/) and the tests (tests/). Not
part of the product, and never imports pytest: scripts run without it.

- data: where the labelled sets live and their roles;
- safety_sets, safety_cases, safety_training: the safety sets by group and
  their targets, the hand-written safety cases, what the learned layer
  trains on;
- speech, voicerun, spoken, soakuser: a synthesised speaking user, `reflect`
  on the virtual sound card, a user who says commands as a person does, the
  soak's user;
- voicebench: the pieces of scripts/bench_voice.py;
- enginekit, cli, ondisk: the dialog engine driven in-process, `reflect` as a
  subprocess and what to show when it fails, what a killed session left on
  disk;
- scoring: word error rate.
"""
