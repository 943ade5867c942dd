from enum import StrEnum


class ViolationKind(StrEnum):
    DOMAIN = "domain"
    IP_LITERAL = "ip_literal"
    PRIVATE_ADDRESS = "private_address"
    REQUEST_LIMIT = "request_limit"
    SCHEME = "scheme"

    def __str__(self) -> str:
        return str(self.value)
