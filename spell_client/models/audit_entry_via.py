from enum import StrEnum


class AuditEntryVia(StrEnum):
    CLI = "cli"
    MCP = "mcp"
    REST = "rest"
    SYSTEM = "system"
    WEB = "web"

    def __str__(self) -> str:
        return str(self.value)
