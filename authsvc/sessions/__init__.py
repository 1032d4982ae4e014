"""Device sessions: refresh-token families, rotation with reuse detection, revocation."""
