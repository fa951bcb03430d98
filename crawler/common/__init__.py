"""What every stage shares and nothing else: the archive's clock and digests, outcome names, exit codes, plurals.

Imports nothing from the rest of the package."""
