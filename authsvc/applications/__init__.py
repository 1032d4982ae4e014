"""OAuth 2.0 / OpenID Connect clients of a tenant ("applications") and users' grants to them."""
