"""``authsvc keys``: a tenant's token-signing keys."""

from __future__ import annotations

import click

from authsvc.cli.base import command, emit, tenant_by_slug

keys = click.Group("keys", help="Manage a tenant's token-signing keys.")


@command(keys, "rotate")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--alg", type=click.Choice(["ES256", "RS256"]), help="Default: the tenant's setting.")
def keys_rotate(as_json: bool, slug: str, alg: str | None) -> None:
    """Add a new signing key; the old public key stays published until its tokens expire."""
    from authsvc.auth.tenant_policy import policy_for
    from authsvc.tokens.keys import rotate

    tenant = tenant_by_slug(slug)
    policy = policy_for(tenant)
    row = rotate(tenant.id, alg or policy.token_alg, policy.access_token_ttl_seconds)
    result = {"tenant": slug, "kid": row.kid, "alg": row.alg}
    emit(result, as_json, lambda r: click.echo(f"New signing key {r['kid']} ({r['alg']})"))
