"""Spiders of policyarchive: ``policies`` snapshots every declared variant."""
