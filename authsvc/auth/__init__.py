"""End-user authentication: sign-up, login, tokens, sessions, MFA, recovery flows."""
