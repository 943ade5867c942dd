"""The MCP face: one tool per castable spell and the catalog tools, adapting to the cast pipeline
(`server`, `catalog_tools`); resources and completion (`resources`); asking the person before a
costly cast (`confirmation`); list changes for lasting 2025-era connections (`sessions`); and the
stdio relay to a remote platform (`relay`). The HTTP transports are mounted by spell_mcp/app.py."""
