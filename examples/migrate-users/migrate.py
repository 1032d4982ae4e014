"""Move an existing app's users into authsvc, keeping their passwords (the stored hashes).

Reads ``accounts(id, email, name, password_hash)`` from the old app's SQLite database and
sends them to ``POST /api/v1/users/import`` in batches of 1,000. Users sign in with their
old passwords; authsvc re-hashes each with argon2id at its first sign-in.

Run: AUTHSVC_API_KEY=ak_... python migrate.py legacy.db --url https://id.example.com
(the key needs the ``users:write`` scope; it is read from the environment, not argv).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Iterator

from authsvc_client import AuthsvcClient

BATCH = 1000


def legacy_users(path: str) -> Iterator[dict]:
    """The old app's accounts as authsvc import rows."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, email, name, password_hash FROM accounts ORDER BY id")
        for account_id, email, name, password_hash in rows:
            # external_user_id keeps the old id, so the old app's data can be joined later.
            yield {
                "email": email,
                "display_name": name,
                "password_hash": password_hash,
                "external_user_id": str(account_id),
                "is_verified": True,
            }


def migrate(client: AuthsvcClient, rows: Iterator[dict]) -> dict:
    """Import every row; the summary counts created and failed rows, with the failures."""
    summary: dict = {"created": 0, "failed": 0, "failures": []}
    batch: list[dict] = []
    for row in [*rows, None]:
        if row is not None:
            batch.append(row)
        if batch and (row is None or len(batch) == BATCH):
            answer = client.call("post_user_import", json={"users": batch})
            summary["created"] += answer["created"]
            summary["failed"] += answer["failed"]
            summary["failures"] += [
                {"email": batch[r["index"]]["email"], **r}
                for r in answer["results"]
                if r["status"] != "created"
            ]
            batch = []
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="the old app's SQLite file")
    parser.add_argument("--url", required=True, help="authsvc's base URL")
    args = parser.parse_args(argv)
    with AuthsvcClient(args.url, os.environ["AUTHSVC_API_KEY"]) as client:
        summary = migrate(client, legacy_users(args.database))
    print(f"created {summary['created']}, failed {summary['failed']}")
    for failure in summary["failures"]:
        print(f"  {failure['email']}: {failure}")
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
