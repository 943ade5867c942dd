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
    """What Stripe kept of a payment, the receipt it shows the payer, and the card it saved
    (when the payer asked to keep it)."""

    fee_cents: int
    receipt_url: str | None
    payment_method: str | None = None


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
        found = intent.to_dict()
        charge: Any = found.get("latest_charge") or {}
        transaction: Any = charge.get("balance_transaction") if isinstance(charge, dict) else None
        fee = int(transaction.get("fee", 0)) if isinstance(transaction, dict) else 0
        receipt = charge.get("receipt_url") if isinstance(charge, dict) else None
        method = found.get("payment_method")
        return Settlement(
            fee_cents=fee,
            receipt_url=str(receipt) if receipt else None,
            payment_method=method if isinstance(method, str) and found.get("setup_future_usage") else None,
        )

    async def charge_saved_card(
        self, *, customer: str, payment_method: str, amount_cents: int, user_id: str, reload_id: str
    ) -> str:
        """Charge a saved card with nobody present (an auto-reload). Returns the payment
        intent's status; the credits still arrive only by the payment_intent.succeeded webhook."""
        intent = await self._call(
            self.client.v1.payment_intents.create_async(
                params={
                    "amount": amount_cents,
                    "currency": "usd",
                    "customer": customer,
                    "payment_method": payment_method,
                    "off_session": True,
                    "confirm": True,
                    "metadata": {"spell_user_id": user_id, "spell_reload": reload_id},
                },
                options={"idempotency_key": reload_id},
            )
        )
        return str(intent.status)

    async def refund(self, payment_intent: str, reason: str) -> str:
        """Pay a whole payment back to the card it came from; `reason` is kept with the refund
        (its metadata). A retry is answered with the same refund."""
        refund = await self._call(
            self.client.v1.refunds.create_async(
                params={
                    "payment_intent": payment_intent,
                    "reason": "requested_by_customer",
                    "metadata": {"spell_reason": reason},
                },
                options={"idempotency_key": f"refund-{payment_intent}"},
            )
        )
        return str(refund.id)

    async def payout_account(self, user_id: str, country: str) -> str:
        """A connected (Express) account that can receive transfers; one per maker."""
        account = await self._call(
            self.client.v1.accounts.create_async(
                params={
                    "type": "express",
                    "country": country,
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": {"spell_user_id": user_id},
                },
                options={"idempotency_key": f"payout-account-{user_id}"},
            )
        )
        return str(account.id)

    async def onboarding_link(self, account: str, return_url: str) -> str:
        """Where the maker gives Stripe what it needs to pay them (links expire within minutes)."""
        link = await self._call(
            self.client.v1.account_links.create_async(
                params={
                    "account": account,
                    "type": "account_onboarding",
                    "refresh_url": return_url,
                    "return_url": return_url,
                }
            )
        )
        return str(link.url)

    async def transfer(self, *, account: str, amount_cents: int, group: str) -> str:
        """Send money to a maker's account. `group` names the payout: the idempotency key and
        the transfer group both come from it, so it can never be paid twice (`find_transfer`
        finds it again after Stripe has forgotten the idempotency key)."""
        transfer = await self._call(
            self.client.v1.transfers.create_async(
                params={
                    "amount": amount_cents,
                    "currency": "usd",
                    "destination": account,
                    "transfer_group": group,
                    "metadata": {"spell_payout": group},
                },
                options={"idempotency_key": group},
            )
        )
        return str(transfer.id)

    async def find_transfer(self, group: str) -> str | None:
        found = await self._call(
            self.client.v1.transfers.list_async(params={"transfer_group": group, "limit": 1})
        )
        return str(found.data[0].id) if found.data else None

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
        except (
            stripe.InvalidRequestError,
            stripe.PermissionError,
            stripe.AuthenticationError,
            stripe.CardError,
        ) as exc:
            raise ProviderRefused(str(exc.user_message or type(exc).__name__)) from None
        except stripe.StripeError as exc:
            raise SpellError(
                "payment_provider_unavailable",
                f"Stripe could not be reached ({type(exc).__name__}); try again",
            ) from None


class ProviderRefused(SpellError):
    """Stripe answered, and said no: asking again the same way will not help."""

    def __init__(self, reason: str) -> None:
        super().__init__("payment_provider_unavailable", f"Stripe refused the request: {reason[:300]}")
        self.reason = reason

    def __str__(self) -> str:
        return self.reason
