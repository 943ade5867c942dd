from enum import StrEnum


class PayoutInfoStatus(StrEnum):
    FAILED = "failed"
    PAID = "paid"
    PENDING = "pending"
    REVERSED = "reversed"

    def __str__(self) -> str:
        return str(self.value)
