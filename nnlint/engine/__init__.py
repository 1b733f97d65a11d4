"""The static engine: the analyses rules share, each computed at most once per file (see context.py)."""
