"""Declarations: ``policies/*.yml`` read, validated and looked up (catalog, ids, hosts, regions).

The first stage: it imports only ``crawler.common``."""
