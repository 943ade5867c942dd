"""Stripe, as the platform uses it: one customer per caster, Checkout Sessions for top-ups, the
fee and receipt of a paid top-up, makers' connected accounts and transfers to them, and the
signatures of its two webhook endpoints (the platform's own events, and its connected accounts').
Everything else in this package works on plain values, so that a stand-in at Stripe's HTTP
boundary tests all of it.

What goes wrong with Stripe is said for what it is:
- Stripe cannot be reached, times out, or says it is overloaded or in trouble (429, 5xx): 503
  `payment_provider_unavailable` with `Retry-After`; the stripe library has retried twice already.
- Stripe answers and refuses (a bad key, an object that is not in this Stripe account, a request
  it does not accept): 502 `payment_provider_misconfigured`, since asking again will not help and
  the fault is the platform's set-up, not the caller's. The server log says which call, Stripe's
  HTTP status, error type and code, its request id and its message (with any key masked).
- A card's issuer declines it (an auto-reload): `ProviderRefused` with the issuer's reason, for the
  reload to record; it never reaches a face.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import stripe

from spell_mcp.errors import SpellError
from spell_mcp.observability import metrics

log = logging.getLogger("spell.stripe")
T = TypeVar("T")
WEBHOOK_TOLERANCE_S = 300
RETRY_AFTER_S = 30
# Stripe's keys and secrets, should one ever appear in a message (Stripe masks most of a bad key).
_KEYS = re.compile(r"\b(sk|rk|pk|whsec)_[A-Za-z0-9_*]+")


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


@dataclass(frozen=True, slots=True)
class AccountState:
    """A connected account as far as paying it goes."""

    payable: bool
    details_submitted: bool

    @classmethod
    def of(cls, account: dict[str, Any]) -> AccountState:
        """From Stripe's account object (an `account.updated` event's, or `GET /v1/accounts/{id}`'s):
        payable when Stripe lets it pay out and its `transfers` capability (where reported) is
        active, so that a transfer to it can succeed."""
        capabilities = account.get("capabilities")
        transfers = capabilities.get("transfers") if isinstance(capabilities, dict) else None
        return cls(
            payable=account.get("payouts_enabled") is True and transfers in (None, "active"),
            details_submitted=account.get("details_submitted") is True,
        )


class StripeGateway:
    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        connect_webhook_secret: str | None = None,
        api_base: str | None = None,
        timeout_s: float = 10,
    ) -> None:
        addresses: Any = {"api": api_base} if api_base else None
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses=addresses,
            http_client=stripe.HTTPXClient(timeout=timeout_s),
            max_network_retries=2,
        )
        self.webhook_secret = webhook_secret
        self.connect_webhook_secret = connect_webhook_secret

    async def customer(self, user_id: str, name: str) -> str:
        """A new customer for the caster; Stripe answers a retry with the same one."""
        created = await self._call(
            "create a customer",
            self.client.v1.customers.create_async(
                params={"name": name[:200], "metadata": {"spell_user_id": user_id}},
                options={"idempotency_key": f"customer-{user_id}"},
            ),
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
            "create a Checkout Session",
            self.client.v1.checkout.sessions.create_async(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            ),
        )
        return Checkout(id=str(session.id), url=str(session.url))

    async def settlement(self, payment_intent: str) -> Settlement:
        intent = await self._call(
            "read a payment",
            self.client.v1.payment_intents.retrieve_async(
                payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
            ),
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
            "charge a saved card",
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
            ),
        )
        return str(intent.status)

    async def refund(self, payment_intent: str, reason: str) -> str:
        """Pay a whole payment back to the card it came from; `reason` is kept with the refund
        (its metadata). A retry is answered with the same refund."""
        refund = await self._call(
            "refund a payment",
            self.client.v1.refunds.create_async(
                params={
                    "payment_intent": payment_intent,
                    "reason": "requested_by_customer",
                    "metadata": {"spell_reason": reason},
                },
                options={"idempotency_key": f"refund-{payment_intent}"},
            ),
        )
        return str(refund.id)

    async def payout_account(self, user_id: str, country: str, replacing: str | None = None) -> str:
        """A connected (Express) account that can receive transfers; one per maker (a new one
        when the maker disconnected the one `replacing`)."""
        key = f"payout-account-{user_id}" + (f"-after-{replacing}" if replacing else "")
        account = await self._call(
            "create a connected account",
            self.client.v1.accounts.create_async(
                params={
                    "type": "express",
                    "country": country,
                    "capabilities": {"transfers": {"requested": True}},
                    "metadata": {"spell_user_id": user_id},
                },
                options={"idempotency_key": key},
            ),
        )
        return str(account.id)

    async def onboarding_link(self, account: str, return_url: str) -> str:
        """Where the maker gives Stripe what it needs to pay them (links expire within minutes)."""
        link = await self._call(
            "create an onboarding link",
            self.client.v1.account_links.create_async(
                params={
                    "account": account,
                    "type": "account_onboarding",
                    "refresh_url": return_url,
                    "return_url": return_url,
                }
            ),
        )
        return str(link.url)

    async def transfer(self, *, account: str, amount_cents: int, group: str) -> str:
        """Send money to a maker's account. `group` names the payout: the idempotency key and
        the transfer group both come from it, so it can never be paid twice (`find_transfer`
        finds it again after Stripe has forgotten the idempotency key)."""
        transfer = await self._call(
            "make a transfer",
            self.client.v1.transfers.create_async(
                params={
                    "amount": amount_cents,
                    "currency": "usd",
                    "destination": account,
                    "transfer_group": group,
                    "metadata": {"spell_payout": group},
                },
                options={"idempotency_key": group},
            ),
        )
        return str(transfer.id)

    async def find_transfer(self, group: str) -> str | None:
        found = await self._call(
            "look for a transfer",
            self.client.v1.transfers.list_async(params={"transfer_group": group, "limit": 1}),
        )
        return str(found.data[0].id) if found.data else None

    async def account(self, account: str) -> AccountState:
        """Stripe's word now on a connected account (when no event said it could be paid)."""
        found = await self._call("read a connected account", self.client.v1.accounts.retrieve_async(account))
        return AccountState.of(found.to_dict())

    def verified_event(
        self, payload: bytes, signature: str | None, *, connect: bool = False
    ) -> dict[str, Any]:
        """The event, if Stripe signed exactly these bytes within the tolerance with the secret of
        the endpoint it came to (`connect`: the Connect endpoint, for connected accounts' events,
        which all name their account); else a refusal."""
        secret = self.connect_webhook_secret if connect else self.webhook_secret
        if secret is None:
            raise SpellError(
                "not_found", "this platform takes no Connect events: its operator has not set their secret"
            )
        try:
            stripe.Webhook.construct_event(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_S)
            event: Any = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError):
            raise SpellError(
                "webhook_signature_invalid",
                "the Stripe-Signature header does not verify for this body and endpoint "
                "(or is older than 5 minutes)",
            ) from None
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise SpellError("request_invalid", "not a Stripe event")
        if connect and not isinstance(event.get("account"), str):
            raise SpellError("request_invalid", "a Connect event names its connected account")
        if not connect and "account" in event:
            # Refused, not recorded: the same event, sent where it belongs, must still be heard.
            raise SpellError(
                "request_invalid",
                "an event on a connected account: Stripe sends those to the Connect endpoint "
                "/v1/webhooks/stripe/connect",
            )
        return event

    @staticmethod
    async def _call(action: str, pending: Awaitable[T]) -> T:
        try:
            return await pending
        except stripe.CardError as exc:
            log.info("Stripe declined a card to %s: %s (request %s)", action, exc.code, exc.request_id)
            metrics.PAYMENT_PROVIDER_ERRORS.labels("declined").inc()
            raise ProviderRefused(action, str(exc.user_message or "the card was declined")) from None
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            log.warning("Stripe could not be reached to %s: %s", action, _masked(exc.user_message))
            metrics.PAYMENT_PROVIDER_ERRORS.labels("unavailable").inc()
            raise ProviderUnavailable(action) from None
        except stripe.StripeError as exc:
            if exc.http_status is None or exc.http_status >= 500:
                log.warning(
                    "Stripe failed to %s: HTTP %s (request %s)", action, exc.http_status, exc.request_id
                )
                raise ProviderUnavailable(action) from None
            kind = exc.error.type if exc.error is not None else None
            log.error(
                "Stripe refused to %s: HTTP %s, %s %s, request %s: %s; check the platform's Stripe "
                "settings (SPELL_STRIPE_*)",
                action,
                exc.http_status,
                kind or type(exc).__name__,
                exc.code or "(no code)",
                exc.request_id or "(none)",
                _masked(exc.user_message),
            )
            metrics.PAYMENT_PROVIDER_ERRORS.labels("misconfigured").inc()
            raise ProviderMisconfigured(action, exc.request_id) from None


def _masked(message: str | None) -> str:
    return _KEYS.sub(lambda key: f"{key.group(1)}_…", message or "")[:500]


class ProviderUnavailable(SpellError):
    """Stripe could not be reached, or is in trouble: asking again later may work."""

    def __init__(self, action: str) -> None:
        super().__init__(
            "payment_provider_unavailable",
            f"Stripe could not be reached to {action}; try again in a minute",
            headers={"Retry-After": str(RETRY_AFTER_S)},
            retry_after=RETRY_AFTER_S,
        )


class ProviderRefused(SpellError):
    """Stripe answered, and said no: asking again the same way will not help. `reason` is what a
    person may be told (a card issuer's reason for a decline)."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__("payment_provider_misconfigured", f"Stripe refused to {action}: {reason[:300]}")
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class ProviderMisconfigured(ProviderRefused):
    """Stripe refused a request the platform made as it should: the platform's Stripe set-up is
    wrong (its key, or objects that are not in its Stripe account). Its operator reads the log."""

    def __init__(self, action: str, request_id: str | None) -> None:
        reason = "the platform's payment set-up is wrong; its operator has been told" + (
            f" (Stripe request {request_id})" if request_id else ""
        )
        super().__init__(action, reason)
