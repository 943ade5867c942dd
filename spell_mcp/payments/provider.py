"""Stripe, as the platform uses it: one customer per caster, Checkout Sessions for top-ups, the
fee and receipt of a paid top-up, and the signature of its webhooks. Everything else in this
package works on plain values, so that a stand-in at Stripe's HTTP boundary tests all of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import stripe

from spell_mcp.errors import SpellError

WEBHOOK_TOLERANCE_S = 300


@dataclass(frozen=True, slots=True)
class Checkout:
    id: str
    url: str


@dataclass(frozen=True, slots=True)
class Settlement:
    """What Stripe kept of a payment, and the receipt it shows the payer."""

    fee_cents: int
    receipt_url: str | None


class StripeGateway:
    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None) -> None:
        addresses: Any = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(
            secret_key, base_addresses=addresses, http_client=stripe.HTTPXClient(), max_network_retries=2
        )
        self.webhook_secret = webhook_secret

    async def customer(self, user_id: str, name: str) -> str:
        """A new customer for the caster; Stripe answers a retry with the same one."""
        created = await self._call(
            self.client.v1.customers.create_async(
                params={"name": name[:200], "metadata": {"spell_user_id": user_id}},
                options={"idempotency_key": f"customer-{user_id}"},
            )
        )
        return str(created.id)

    async def checkout(
        self,
        *,
        customer: str,
        user_id: str,
        amount_cents: int,
        success_url: str,
        cancel_url: str,
        automatic_tax: bool,
        save_card: bool,
        idempotency_key: str,
    ) -> Checkout:
        payment_intent: dict[str, Any] = {"metadata": {"spell_user_id": user_id}}
        if save_card:
            payment_intent["setup_future_usage"] = "off_session"
        params: dict[str, Any] = {
            "mode": "payment",
            "customer": customer,
            "client_reference_id": user_id,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": amount_cents,
                        "tax_behavior": "exclusive",
                        "product_data": {"name": "Spell credits"},
                    },
                }
            ],
            "automatic_tax": {"enabled": automatic_tax},
            "payment_intent_data": payment_intent,
            "metadata": {"spell_user_id": user_id},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if automatic_tax:
            params["customer_update"] = {"address": "auto"}
        session = await self._call(
            self.client.v1.checkout.sessions.create_async(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        )
        return Checkout(id=str(session.id), url=str(session.url))

    async def settlement(self, payment_intent: str) -> Settlement:
        intent = await self._call(
            self.client.v1.payment_intents.retrieve_async(
                payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
            )
        )
        charge: Any = intent.to_dict().get("latest_charge") or {}
        transaction: Any = charge.get("balance_transaction") if isinstance(charge, dict) else None
        fee = int(transaction.get("fee", 0)) if isinstance(transaction, dict) else 0
        receipt = charge.get("receipt_url") if isinstance(charge, dict) else None
        return Settlement(fee_cents=fee, receipt_url=str(receipt) if receipt else None)

    def verified_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event, if Stripe signed exactly these bytes within the tolerance; else a refusal."""
        try:
            stripe.Webhook.construct_event(
                payload, signature, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE_S
            )
            event: Any = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError):
            raise SpellError(
                "webhook_signature_invalid",
                "the Stripe-Signature header does not verify for this body (or is older than 5 minutes)",
            ) from None
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise SpellError("request_invalid", "not a Stripe event")
        return event

    @staticmethod
    async def _call(pending: Any) -> Any:
        try:
            return await pending
        except stripe.StripeError as exc:
            raise SpellError(
                "payment_provider_unavailable",
                f"Stripe refused or could not be reached ({type(exc).__name__}); try again",
            ) from None
