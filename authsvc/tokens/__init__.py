"""Tokens: per-tenant signing keys, access-token JWTs, JWKS and discovery, bearer checks,
the denylist."""
