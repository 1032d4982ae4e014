"""A FastAPI app protected by authsvc access tokens.

Run: AUTHSVC_URL=https://id.example.com AUTHSVC_TENANT=acme uvicorn app:app
"""

# No `from __future__ import annotations`: FastAPI reads the Annotated dependencies below
# at run time, and they are local to create_app, where string annotations cannot find them.
import os
from typing import Annotated

from authsvc_client import TokenVerifier
from authsvc_client.fastapi_auth import RequireUser
from fastapi import Depends, FastAPI


def create_app(base_url: str, tenant: str, check_revocation: bool = False) -> FastAPI:
    verifier = TokenVerifier(base_url, tenant, check_revocation=check_revocation)
    signed_in = Annotated[dict, Depends(RequireUser(verifier))]
    admin = Annotated[dict, Depends(RequireUser(verifier, roles=["admin"]))]
    app = FastAPI(title="Notes")

    @app.get("/")
    async def index() -> dict:
        return {"hello": "anyone"}

    @app.get("/profile")
    async def profile(claims: signed_in) -> dict:
        return {"user": claims["sub"], "email": claims["email"], "roles": claims["roles"]}

    @app.get("/reports")
    async def reports(claims: admin) -> dict:
        return {"reports": []}

    return app


if os.environ.get("AUTHSVC_URL"):
    app = create_app(os.environ["AUTHSVC_URL"], os.environ["AUTHSVC_TENANT"])
