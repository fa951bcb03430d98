"""Intake: captures that were not crawled here, imported into the archive (saved files and WARCs,
the Wayback Machine), through the same analysis and versioning as a crawl."""
