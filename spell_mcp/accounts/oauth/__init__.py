"""Signing agents in with OAuth 2.1, as the MCP authorization specification (2025-11-25 and
2026-07-28) describes: Spell is the authorization server of its own MCP endpoint. A person
signed in on the dashboard approves an agent; what they grant is an API key with the scopes,
daily budget and expiry they chose, listed and revocable with their other keys, and the agent's
tokens refer to it.

- clients.py: which agents may ask (metadata documents, RFC 7591 registrations), redirect URIs;
- server.py: the authorization server itself (authlib), one database transaction per request;
- service.py: the units of work the faces call;
- tokens.py: what an access token authenticates, and ending a grant.
"""
