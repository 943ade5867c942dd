"""Who is calling: accounts and their creation (`users`), API keys and the caster they name
(`keys`), people signed in from a browser (`web_sessions`), makers' sealed secrets (`secrets`),
and what a caster's retried requests get back (`idempotency`)."""
