"""Users' rights over their data (export, rectification, erasure, restriction, preferences,
the notice of what is collected and where it goes) and the retention periods the platform keeps
to by itself. docs/privacy.md says it in words a user can read."""
