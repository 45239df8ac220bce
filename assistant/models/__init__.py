"""Model files: where they are installed (wheels pinned by SHA-256, Vosk folders) and the sentence encoder run with numpy."""
