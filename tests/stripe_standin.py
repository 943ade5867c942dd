"""A local stand-in for the part of Stripe's HTTP API the platform uses, at the HTTP boundary: the
real `stripe` library talks to it as it would to api.stripe.com. Webhooks are signed with
Stripe's real scheme (`stripe.WebhookSignature`), so the platform's verification is the real one.

It behaves as Stripe does where it matters here: the secret key is required, unknown parameters
are refused (400, `invalid_request_error`), an unknown URL or object is a 404, every answer carries
a `Request-Id`, and an Idempotency-Key answers a retry with the first response. The test plays the
payer: `pay` builds the events Stripe would send.

Events come as Stripe sends them (`delivery`): the platform's own to the account endpoint, signed
with its secret; a connected account's (`account.updated`, `account.application.deauthorized`,
`payout.*`) to the Connect endpoint, with the account in the event's top-level `account`, signed
with the Connect endpoint's own secret.
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
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.local_server import local_server

SECRET_KEY = "sk_test_spellstandin"
WEBHOOK_SECRET = "whsec_spellstandin"
CONNECT_WEBHOOK_SECRET = "whsec_spellstandin_connect"
PLATFORM_ENDPOINT = "/v1/webhooks/stripe"
CONNECT_ENDPOINT = "/v1/webhooks/stripe/connect"
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
    # Every request as (method, path, parameters), in order.
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
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
            "stripe_connect_webhook_secret": CONNECT_WEBHOOK_SECRET,
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
        return self.intent_refunded(self.sessions[session_id]["payment_intent"], total_refunded_cents)

    def intent_refunded(self, intent_id: str, total_refunded_cents: int) -> dict[str, Any]:
        """charge.refunded for the payment's charge, `total_refunded_cents` refunded so far."""
        intent = self.intents[intent_id]
        return event(
            "charge.refunded",
            {
                "id": intent["latest_charge"]["id"],
                "object": "charge",
                "payment_intent": intent_id,
                "amount": intent["amount"],
                "amount_refunded": total_refunded_cents,
                "refunded": total_refunded_cents == intent["amount"],
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
        """The maker finished onboarding: Stripe's account.updated event, from the connected
        account (to the Connect endpoint)."""
        account = self.accounts[account_id]
        account.update(payouts_enabled=True, details_submitted=True, capabilities={"transfers": "active"})
        return event("account.updated", dict(account), account=account_id)

    def deauthorized(self, account_id: str) -> dict[str, Any]:
        """The account disconnected from the platform: its data.object is the platform's
        application, and only the top-level `account` says whose account it was."""
        application = {"id": "ca_spellstandin", "object": "application", "name": "Spell"}
        return event("account.application.deauthorized", application, account=account_id)

    def bank_payout(self, account_id: str, status: str, failure: str | None = None) -> dict[str, Any]:
        """The connected account's own payout to its bank: payout.paid or payout.failed."""
        payout = {
            "id": f"po_{secrets.token_hex(8)}",
            "object": "payout",
            "amount": 1280,
            "currency": "usd",
            "arrival_date": int(time.time()),
            "status": status,
            "failure_code": "account_closed" if failure else None,
            "failure_message": failure,
        }
        return event(f"payout.{status}", payout, account=account_id)

    def reversed(self, transfer_id: str, cents: int) -> dict[str, Any]:
        transfer = self.transfers[transfer_id]
        transfer["amount_reversed"] = cents
        return event("transfer.reversed", dict(transfer))

    # -- the API ---------------------------------------------------------------------------

    def app(self) -> Starlette:
        async def create(request: Request) -> JSONResponse:
            resource = request.path_params["resource"]
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            if resource not in KNOWN:
                return _error(404, f"Unrecognized request URL (POST: /v1/{resource})")
            unknown = sorted({name.split("[")[0] for name in form} - KNOWN[resource])
            if unknown:
                return _error(400, f"Received unknown parameter: {', '.join(unknown)}")
            replay_key = f"{resource}:{request.headers.get('idempotency-key')}"
            if request.headers.get("idempotency-key") and replay_key in self.replays:
                return JSONResponse(self.replays[replay_key])
            try:
                body = getattr(self, "_" + resource.replace("/", "_"))(form)
            except LookupError as exc:
                return _error(400, str(exc))
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
            return _found("payment_intent", self.intents.get(request.path_params["intent"]))

        async def retrieve_account(request: Request) -> JSONResponse:
            return _found("account", self.accounts.get(request.path_params["account"]))

        async def list_transfers(request: Request) -> JSONResponse:
            group = request.query_params.get("transfer_group")
            found = [t for t in self.transfers.values() if t["transfer_group"] == group]
            return JSONResponse({"object": "list", "data": found, "has_more": False, "url": "/v1/transfers"})

        async def unknown(request: Request) -> JSONResponse:
            return _error(404, f"Unrecognized request URL ({request.method}: {request.url.path})")

        async def as_stripe(request: Request, call_next: Callable[[Request], Any]) -> Response:
            """Stripe's gate and signature on every request: the key, and a Request-Id."""
            params = dict(
                parse_qsl((await request.body()).decode() or request.url.query, keep_blank_values=True)
            )
            self.requests.append((request.method, request.url.path, params))
            if request.headers.get("authorization") != f"Bearer {SECRET_KEY}":
                # Stripe says so as an invalid_request_error (its API reference lists no other type
                # for a bad key); the client library knows it by the status, 401.
                response: Response = _error(401, "Invalid API Key provided: sk_****")
            else:
                response = await call_next(request)
            response.headers["Request-Id"] = f"req_{secrets.token_hex(7)}"
            return response

        return Starlette(
            routes=[
                Route("/v1/payment_intents/{intent}", retrieve_intent, methods=["GET"]),
                Route("/v1/accounts/{account}", retrieve_account, methods=["GET"]),
                Route("/v1/transfers", list_transfers, methods=["GET"]),
                Route("/v1/{resource:path}", create, methods=["POST"]),
                Route("/{path:path}", unknown, methods=["GET", "POST", "DELETE"]),
            ],
            middleware=[Middleware(BaseHTTPMiddleware, dispatch=as_stripe)],
        )

    def _accounts(self, form: dict[str, str]) -> dict[str, Any]:
        account = {
            "id": f"acct_{secrets.token_hex(8)}",
            "object": "account",
            "type": form.get("type"),
            "country": form.get("country"),
            "payouts_enabled": False,
            "details_submitted": False,
            "capabilities": {"transfers": "inactive"},
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
        if form.get("mode") != "payment":
            raise LookupError("this stand-in makes payment-mode sessions only")
        if form.get("customer") not in self.customers:
            raise LookupError(f"No such customer: '{form.get('customer')}'")
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


def event(kind: str, obj: dict[str, Any], *, account: str | None = None) -> dict[str, Any]:
    """A Stripe event; `account` for an event on a connected account (Stripe sets it then)."""
    body = {
        "id": f"evt_{secrets.token_hex(10)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }
    return body if account is None else {**body, "account": account}


def signed(
    event_body: dict[str, Any], *, at: int | None = None, secret: str = WEBHOOK_SECRET
) -> tuple[bytes, str]:
    """The body and Stripe-Signature header Stripe would send."""
    payload = json.dumps(event_body)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, at)


def _metadata(form: dict[str, str]) -> dict[str, str]:
    """`metadata[key]=value` fields of a form, as the object's metadata."""
    return {k[len("metadata[") : -1]: v for k, v in form.items() if k.startswith("metadata[")}


def delivery(event_body: dict[str, Any], *, at: int | None = None) -> tuple[str, bytes, dict[str, str]]:
    """Where and how Stripe posts an event: a connected account's to the Connect endpoint, signed
    with that endpoint's secret; the platform's own to the account endpoint, signed with its."""
    connect = "account" in event_body
    body, signature = signed(event_body, at=at, secret=CONNECT_WEBHOOK_SECRET if connect else WEBHOOK_SECRET)
    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    return (CONNECT_ENDPOINT if connect else PLATFORM_ENDPOINT), body, headers


def _found(kind: str, obj: dict[str, Any] | None) -> JSONResponse:
    if obj is None:
        return _error(404, f"No such {kind}", code="resource_missing")
    return JSONResponse(obj)


def _error(status: int, message: str, *, code: str | None = None) -> JSONResponse:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    return JSONResponse({"error": error}, status_code=status)


@contextmanager
def stripe_standin(port: int) -> Iterator[StripeStandIn]:
    standin = StripeStandIn(url=f"http://127.0.0.1:{port}")
    with local_server(standin.app(), port):
        yield standin
