"""Tenants: the unit of isolation, with per-tenant policy stored as data."""
