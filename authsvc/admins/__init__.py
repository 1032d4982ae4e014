"""Administrator accounts: platform admins and tenant admins."""
