"""API keys: how tenant apps authenticate to the REST API."""
