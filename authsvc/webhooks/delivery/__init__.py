"""The webhook delivery engine: fan-out, claiming, sending, recording outcomes, endpoint health.

Endpoint management (the REST API, secrets, schemas) lives one level up in
:mod:`authsvc.webhooks`; this package only turns outbox events into signed HTTP attempts.
"""
