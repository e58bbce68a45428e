"""The HTTP JSON API of a node (OpenAPI at /openapi.json) and the sync endpoints peers use."""
