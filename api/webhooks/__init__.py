"""Outgoing webhooks: a tenant's endpoints receive its invoice events, signed and retried.

- `models.py`: `WebhookEndpoint` (url, subscribed events, secret) and `WebhookDelivery` (one row
  per event and endpoint, unique: an event reaches an endpoint once however often it is emitted).
- `services.py`: `webhook_event_emit` (the one place events come from), endpoint create/delete,
  delivery attempts with their retry schedule, replay.
- `signing.py`: the `InvoiceFlow-Signature` header and `verify_signature` for receivers.
- `tasks.py`: the Celery delivery task and the per-minute sweep of due retries.
"""
