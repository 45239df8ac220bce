"""The conversation itself: the engine (no audio, files or clocks), its events and actions."""
