"""Progress and journal on disk: private files, written atomically."""
