from enum import StrEnum


class DataExportFormat(StrEnum):
    JSON = "json"
    ZIP = "zip"

    def __str__(self) -> str:
        return str(self.value)
