from enum import StrEnum


class MeVia(StrEnum):
    API_KEY = "api_key"
    SESSION = "session"

    def __str__(self) -> str:
        return str(self.value)
