"""The payments tests' fixtures (tests/spell_mcp/payments/shop.py)."""

from tests.spell_mcp.payments.shop import shop, stripe

__all__ = ["shop", "stripe"]
