"""Connectors to systems that do not speak OAI-PMH: GBIF country statistics, the CBD's Solr
index (``/api/v2013/index``) and PANORAMA solutions. See docs/federation.md, "Connectors"."""
