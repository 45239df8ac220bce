"""From microphone samples to words: the front end, the recognisers, Whisper, and when a turn is over."""
