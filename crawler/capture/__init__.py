"""Capture: the Scrapy spider, its middlewares, extensions and settings, and running a crawl.

A capture is raw bytes and provenance (``items.Capture``); what it says is for ``crawler.text``,
and where it is kept for ``crawler.archive``, whose pipeline Scrapy loads by name from
``settings.ITEM_PIPELINES``: nothing here imports a later stage."""
