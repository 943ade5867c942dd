"""Who is calling: accounts and their creation (`users`), API keys and the caster they name
(`keys`), people signed in from a browser (`web_sessions`), and makers' sealed secrets
(`secrets`)."""
