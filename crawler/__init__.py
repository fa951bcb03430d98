"""policyarchive: follow policy documents across regions and languages, and archive every version.

``crawler`` is the Scrapy project (settings, items, pipelines, spiders) and the library modules
that the spider, the importer and the CLI share: ``catalog`` (declarations), ``extract``
(HTML to normalised Markdown), ``diff`` (word-level changes), ``archive`` (the one writer of
``archive.db``).
"""

__version__ = "0.1.0"
