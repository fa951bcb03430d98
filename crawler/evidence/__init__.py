"""Evidence: the archive's captures written out as WARC/WACZ, and checked (bodies, chain, exports)."""
