"""Reflect: an offline, voice-guided reflection on "Trust in Relationships"."""

__version__ = "0.1.0"
