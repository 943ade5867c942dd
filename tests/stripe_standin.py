"""A local stand-in for the part of Stripe's HTTP API the platform uses, at the HTTP boundary: the
real `stripe` library talks to it as it would to api.stripe.com. Webhooks are signed with
Stripe's real scheme (`stripe.WebhookSignature`), so the platform's verification is the real one.

It behaves as Stripe does where it matters here: the secret key is required, unknown parameters
are refused (400, `invalid_request_error`), and an Idempotency-Key answers a retry with the
first response. The test plays the payer: `pay` builds the events Stripe would send.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.local_server import local_server

SECRET_KEY = "sk_test_spellstandin"
WEBHOOK_SECRET = "whsec_spellstandin"
KNOWN = {
    "customers": {"name", "metadata", "email"},
    "checkout/sessions": {
        "mode",
        "customer",
        "client_reference_id",
        "line_items",
        "automatic_tax",
        "payment_intent_data",
        "metadata",
        "success_url",
        "cancel_url",
        "customer_update",
    },
    "accounts": {"type", "country", "capabilities", "metadata", "email"},
    "account_links": {"account", "type", "refresh_url", "return_url"},
    "transfers": {"amount", "currency", "destination", "transfer_group", "metadata"},
    "payment_intents": {
        "amount",
        "currency",
        "customer",
        "payment_method",
        "off_session",
        "confirm",
        "metadata",
    },
    "refunds": {"payment_intent", "amount", "reason", "metadata"},
}
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}


@dataclass
class StripeStandIn:
    url: str
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    replays: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    fee_cents: int = 61
    saved_cards: set[str] = field(default_factory=set)
    # Decline the next this many off-session charges, as a card's issuer would.
    declines: int = 0
    # Called when a transfer is made, before Stripe answers (a test's crash goes here).
    on_transfer: Callable[[], None] | None = None

    def settings(self) -> dict[str, str]:
        return {
            "stripe_secret_key": SECRET_KEY,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_api_base": self.url,
        }

    # -- what the payer and Stripe do -------------------------------------------------------

    def pay(self, session_id: str, *, tax_cents: int = 0, async_payment: bool = False) -> dict[str, Any]:
        """The payer pays: Stripe's checkout.session.completed event (paid at once, or pending
        for an async method)."""
        session = self.sessions[session_id]
        intent = f"pi_{secrets.token_hex(8)}"
        charge = f"ch_{secrets.token_hex(8)}"
        subtotal = session["amount_subtotal"]
        saving = session["form"].get("payment_intent_data[setup_future_usage]") == "off_session"
        card = f"pm_{secrets.token_hex(6)}"
        if saving:
            self.saved_cards.add(card)
        self.intents[intent] = {
            "id": intent,
            "object": "payment_intent",
            "amount": subtotal + tax_cents,
            "payment_method": card,
            "setup_future_usage": "off_session" if saving else None,
            "latest_charge": self._charge(charge),
        }
        session.update(
            status="complete",
            payment_status="unpaid" if async_payment else "paid",
            payment_intent=intent,
            amount_total=subtotal + tax_cents,
            total_details={"amount_tax": tax_cents, "amount_discount": 0, "amount_shipping": 0},
        )
        return event("checkout.session.completed", dict(session))

    def async_succeeded(self, session_id: str) -> dict[str, Any]:
        self.sessions[session_id]["payment_status"] = "paid"
        return event("checkout.session.async_payment_succeeded", dict(self.sessions[session_id]))

    def refunded(self, session_id: str, total_refunded_cents: int) -> dict[str, Any]:
        session = self.sessions[session_id]
        charge = self.intents[session["payment_intent"]]["latest_charge"]
        return event(
            "charge.refunded",
            {
                "id": charge["id"],
                "object": "charge",
                "payment_intent": session["payment_intent"],
                "amount": session["amount_total"],
                "amount_refunded": total_refunded_cents,
                "refunded": total_refunded_cents == session["amount_total"],
            },
        )

    def dispute(self, session_id: str, status: str, dispute_id: str = "dp_standin") -> dict[str, Any]:
        session = self.sessions[session_id]
        kind = "charge.dispute.created" if status == "needs_response" else "charge.dispute.closed"
        return event(
            kind,
            {
                "id": dispute_id,
                "object": "dispute",
                "charge": self.intents[session["payment_intent"]]["latest_charge"]["id"],
                "payment_intent": session["payment_intent"],
                "amount": session["amount_total"],
                "status": status,
            },
        )

    def charged(self, intent_id: str) -> dict[str, Any]:
        """Stripe's word on an off-session charge: payment_intent.succeeded or payment_failed."""
        intent = self.intents[intent_id]
        kind = (
            "payment_intent.succeeded" if intent["status"] == "succeeded" else "payment_intent.payment_failed"
        )
        return event(kind, dict(intent))

    def onboarded(self, account_id: str) -> dict[str, Any]:
        """The maker finished onboarding: Stripe's account.updated event."""
        self.accounts[account_id].update(payouts_enabled=True, details_submitted=True)
        return event("account.updated", dict(self.accounts[account_id]))

    def reversed(self, transfer_id: str, cents: int) -> dict[str, Any]:
        transfer = self.transfers[transfer_id]
        transfer["amount_reversed"] = cents
        return event("transfer.reversed", dict(transfer))

    # -- the API ---------------------------------------------------------------------------

    def app(self) -> Starlette:
        async def create(request: Request) -> JSONResponse:
            resource = request.path_params["resource"]
            if request.headers.get("authorization") != f"Bearer {SECRET_KEY}":
                return _error(401, "authentication_error", "Invalid API Key provided")
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            self.requests.append((resource, form))
            unknown = sorted({name.split("[")[0] for name in form} - KNOWN.get(resource, set()))
            if resource not in KNOWN or unknown:
                return _error(
                    400, "invalid_request_error", f"Received unknown parameter: {', '.join(unknown)}"
                )
            replay_key = f"{resource}:{request.headers.get('idempotency-key')}"
            if request.headers.get("idempotency-key") and replay_key in self.replays:
                return JSONResponse(self.replays[replay_key])
            try:
                body = getattr(self, "_" + resource.replace("/", "_"))(form)
            except LookupError as exc:
                return _error(400, "invalid_request_error", str(exc))
            except Declined as declined:
                return JSONResponse(
                    {
                        "error": {
                            "type": "card_error",
                            "code": "card_declined",
                            "message": "Your card was declined.",
                            "payment_intent": declined.intent,
                        }
                    },
                    status_code=402,
                )
            if request.headers.get("idempotency-key"):
                self.replays[replay_key] = body
            return JSONResponse(body)

        async def retrieve_intent(request: Request) -> JSONResponse:
            intent = self.intents.get(request.path_params["intent"])
            if intent is None:
                return _error(404, "invalid_request_error", "No such payment_intent")
            return JSONResponse(intent)

        async def list_transfers(request: Request) -> JSONResponse:
            group = request.query_params.get("transfer_group")
            found = [t for t in self.transfers.values() if t["transfer_group"] == group]
            return JSONResponse({"object": "list", "data": found, "has_more": False, "url": "/v1/transfers"})

        return Starlette(
            routes=[
                Route("/v1/payment_intents/{intent}", retrieve_intent, methods=["GET"]),
                Route("/v1/transfers", list_transfers, methods=["GET"]),
                Route("/v1/{resource:path}", create, methods=["POST"]),
            ]
        )

    def _accounts(self, form: dict[str, str]) -> dict[str, Any]:
        account = {
            "id": f"acct_{secrets.token_hex(8)}",
            "object": "account",
            "type": form.get("type"),
            "country": form.get("country"),
            "payouts_enabled": False,
            "details_submitted": False,
        }
        self.accounts[account["id"]] = account
        return account

    def _account_links(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("account") not in self.accounts:
            raise LookupError("No such account")
        return {"object": "account_link", "url": f"https://connect.stripe.test/setup/{form['account']}"}

    def _transfers(self, form: dict[str, str]) -> dict[str, Any]:
        account = self.accounts.get(form.get("destination", ""))
        if account is None or not account["payouts_enabled"]:
            raise LookupError("the destination account cannot receive transfers")
        transfer = {
            "id": f"tr_{secrets.token_hex(8)}",
            "object": "transfer",
            "amount": int(form["amount"]),
            "currency": form["currency"],
            "destination": account["id"],
            "transfer_group": form.get("transfer_group"),
            "amount_reversed": 0,
        }
        self.transfers[transfer["id"]] = transfer
        if self.on_transfer is not None:
            self.on_transfer()
        return transfer

    def _charge(self, charge: str) -> dict[str, Any]:
        return {
            "id": charge,
            "object": "charge",
            "receipt_url": f"https://pay.stripe.test/receipts/{charge}",
            "balance_transaction": {
                "id": f"txn_{charge}",
                "object": "balance_transaction",
                "fee": self.fee_cents,
            },
        }

    def _refunds(self, form: dict[str, str]) -> dict[str, Any]:
        """A refund of a payment intent (all that is left of it, unless `amount` says less), as
        https://docs.stripe.com/api/refunds/create makes one."""
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None:
            raise LookupError(f"No such payment_intent: '{form.get('payment_intent')}'")
        if form.get("reason") is not None and form["reason"] not in REFUND_REASONS:
            raise LookupError(f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}")
        left = intent["amount"] - intent.get("amount_refunded", 0)
        amount = int(form.get("amount", left))
        if left <= 0 or not 0 < amount <= left:
            raise LookupError(f"Charge {intent['latest_charge']['id']} has already been refunded.")
        intent["amount_refunded"] = intent.get("amount_refunded", 0) + amount
        refund = {
            "id": f"re_{secrets.token_hex(8)}",
            "object": "refund",
            "amount": amount,
            "currency": "usd",
            "payment_intent": intent["id"],
            "charge": intent["latest_charge"]["id"],
            "reason": form.get("reason"),
            "status": "succeeded",
            "metadata": _metadata(form),
        }
        self.refunds[refund["id"]] = refund
        return refund

    def _payment_intents(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("customer") not in self.customers or form.get("payment_method") not in self.saved_cards:
            raise LookupError("no such customer or saved payment method")
        if form.get("off_session") != "true" or form.get("confirm") != "true":
            raise LookupError("this stand-in only charges saved cards off-session")
        intent_id = f"pi_{secrets.token_hex(8)}"
        declined = self.declines > 0
        self.declines -= int(declined)
        charge = f"ch_{secrets.token_hex(8)}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "amount_received": 0 if declined else int(form["amount"]),
            "currency": form["currency"],
            "customer": form["customer"],
            "payment_method": form["payment_method"],
            "status": "requires_payment_method" if declined else "succeeded",
            "metadata": _metadata(form),
            "last_payment_error": {"message": "Your card was declined."} if declined else None,
            "latest_charge": self._charge(charge),
        }
        self.intents[intent_id] = intent
        if declined:
            raise Declined(intent)
        return intent

    def _customers(self, form: dict[str, str]) -> dict[str, Any]:
        customer = {"id": f"cus_{secrets.token_hex(7)}", "object": "customer", "name": form.get("name")}
        self.customers[customer["id"]] = customer
        return customer

    def _checkout_sessions(self, form: dict[str, str]) -> dict[str, Any]:
        if form.get("mode") != "payment" or form.get("customer") not in self.customers:
            raise ValueError(f"a payment-mode session for a known customer, not {form}")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "customer": form["customer"],
            "client_reference_id": form.get("client_reference_id"),
            "amount_subtotal": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "automatic_tax": {"enabled": form.get("automatic_tax[enabled]") == "true"},
            "payment_intent": None,
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "form": form,
        }
        self.sessions[session_id] = session
        return session


class Declined(Exception):
    def __init__(self, intent: dict[str, Any]) -> None:
        super().__init__("card declined")
        self.intent = intent


def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{secrets.token_hex(10)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }


def signed(
    event_body: dict[str, Any], *, at: int | None = None, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, str]:
    """The body and Stripe-Signature header Stripe would send."""
    payload = json.dumps(event_body)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, at)


def _metadata(form: dict[str, str]) -> dict[str, str]:
    """`metadata[key]=value` fields of a form, as the object's metadata."""
    return {k[len("metadata[") : -1]: v for k, v in form.items() if k.startswith("metadata[")}


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)


@contextmanager
def stripe_standin(port: int) -> Iterator[StripeStandIn]:
    standin = StripeStandIn(url=f"http://127.0.0.1:{port}")
    with local_server(standin.app(), port):
        yield standin
