"""Tokens: per-tenant signing keys, access-token JWTs, JWKS, bearer checks, the denylist."""
