"""The spoken session: audio devices, barge-in, and the loop that runs the engine's actions by voice."""
