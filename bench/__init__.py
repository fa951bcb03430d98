"""policyarchive's benchmarks (issue 7): each measures a figure against a target and a baseline run
in the same process, on the same machine, at the same time. ``python -m bench --help``."""
