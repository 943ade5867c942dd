"""What the platform collects about a user, why, how long it keeps it, and who receives it:
the CCPA report (seed §30.5) and the transfers of data abroad a user consents to (§30.6). The
recipients depend on what the operator turned on: Stripe only with payments, GitHub only with
its sign-in, PagerDuty only with its routing key (and it receives no personal data)."""

from __future__ import annotations

from dataclasses import dataclass

from spell_mcp.settings import Settings

CATEGORIES = [
    {
        "category": "identifiers",
        "collected": "your name, your e-mail address if you give one, your GitHub account id if you sign in "
        "with GitHub, your API keys' ids (never their secrets: only a hash)",
        "purpose": "to know who casts and publishes, and to sign you in",
        "kept": "until you erase your account",
    },
    {
        "category": "commercial information",
        "collected": "your casts (spell, price, when, the hash of your input, the output), your credits, "
        "top-ups, refunds and payouts",
        "purpose": "to run and charge your casts, give you receipts, and pay makers",
        "kept": "cast records until erasure; input hashes 90 days; the ledger 7 years (it holds no "
        "name, only your account's id)",
    },
    {
        "category": "internet activity",
        "collected": "a keyed hash of the address of each security-relevant request, the audit trail of "
        "your account's changes",
        "purpose": "security, fraud prevention and the accountability of money movements",
        "kept": "1 year",
    },
    {
        "category": "files",
        "collected": "the files your casts produce (artifacts) and, for makers, what their spells write "
        "to stderr",
        "purpose": "to give them to you (and the logs to the spell's maker)",
        "kept": "artifacts 30 days, execution logs 90 days",
    },
]


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone abroad who receives some of a user's data. A user may refuse the transfer: the
    feature that needs it then stops for them."""

    id: str
    name: str
    country: str
    receives: str
    purpose: str


def recipients(settings: Settings) -> list[Recipient]:
    found = []
    if settings.stripe_secret_key:
        found.append(
            Recipient(
                "stripe",
                "Stripe, Inc.",
                "US",
                "your account id, top-ups and the payment details you give Stripe at checkout",
                "taking payments and paying makers",
            )
        )
    if settings.github_client_id:
        found.append(
            Recipient(
                "github",
                "GitHub, Inc.",
                "US",
                "that you sign in (GitHub tells the platform your account id and name)",
                "signing you in",
            )
        )
    return found


def report(settings: Settings, do_not_sell: bool) -> dict[str, object]:
    return {
        "categories": CATEGORIES,
        "sold": "no personal information is sold or shared for advertising",
        "do_not_sell": do_not_sell,
        "recipients": [
            {"name": r.name, "country": r.country, "receives": r.receives, "purpose": r.purpose}
            for r in recipients(settings)
        ],
        "rights": [
            "GET /v1/users/me/data-export: a copy of your data",
            "PATCH /v1/users/me: correct your name or e-mail",
            "DELETE /v1/users/me: erase your account",
            "POST /v1/users/me/suspend: restrict the processing of your data",
            "PUT /v1/users/me/preferences: do-not-sell and e-mails",
        ],
    }


def consent_kind(recipient: str) -> str:
    return f"data_transfer:{recipient}"
