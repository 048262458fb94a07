"""Menu entries of commission and performance pay (filled in by the pages)."""
