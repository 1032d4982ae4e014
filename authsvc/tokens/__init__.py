"""Tokens: per-tenant signing keys, access JWTs, JWKS and discovery, bearer checks, denylist."""
