"""Danger noticed: the rules and the learned backstop."""
