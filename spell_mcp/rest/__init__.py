"""The REST face: routes under /v1 that adapt HTTP to the platform's services, one module per
area (`casts`, `catalog`, `billing`, `keys`, `sign_in`), with what they share: the request and
response bodies (`bodies`), dependencies (`deps`), pagination, `Idempotency-Key`, problem
documents, and the middleware every response passes."""
