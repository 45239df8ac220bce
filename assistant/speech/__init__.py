"""Words to sound: speech synthesis and its cache."""
