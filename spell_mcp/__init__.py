"""The Spell server: MCP and REST faces of one cast pipeline, and the `spell` command."""
