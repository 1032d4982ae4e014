"""Values the client tests share (a module of its own: ``conftest`` names collide)."""

PASSWORD = "client library test password"
