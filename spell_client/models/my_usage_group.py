from enum import StrEnum


class MyUsageGroup(StrEnum):
    DAY = "day"
    KEY = "key"
    SPELL = "spell"

    def __str__(self) -> str:
        return str(self.value)
