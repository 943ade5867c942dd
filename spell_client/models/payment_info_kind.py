from enum import StrEnum


class PaymentInfoKind(StrEnum):
    CAST_REFUND = "cast_refund"
    DISPUTE = "dispute"
    DISPUTE_LOST = "dispute_lost"
    DISPUTE_WON = "dispute_won"
    GRANT = "grant"
    REFUND = "refund"
    RELOAD_FAILED = "reload_failed"
    TOP_UP = "top_up"

    def __str__(self) -> str:
        return str(self.value)
