from enum import StrEnum


class LegalHoldRequestTargetType(StrEnum):
    SPELL = "spell"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
