"""Organizations inside a tenant: memberships, invitations, the active organization."""
