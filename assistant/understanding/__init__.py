"""From words to meaning: which command, which answer, which section."""
