from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...models.stripe_connect_webhook_response_stripe_connect_webhook import (
    StripeConnectWebhookResponseStripeConnectWebhook,
)
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhooks/stripe/connect",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    HTTPValidationError
    | Problem
    | StripeConnectWebhookResponseStripeConnectWebhook
    | None
):
    if response.status_code == 200:
        response_200 = StripeConnectWebhookResponseStripeConnectWebhook.from_dict(
            response.json()
        )

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[
    HTTPValidationError | Problem | StripeConnectWebhookResponseStripeConnectWebhook
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[
    HTTPValidationError | Problem | StripeConnectWebhookResponseStripeConnectWebhook
]:
    """Stripe Connect Webhook

     Stripe's events on makers' connected accounts (a Connect endpoint's, signed with its own
    secret): whether an account can be paid, its disconnection, its payouts to its bank.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Problem | StripeConnectWebhookResponseStripeConnectWebhook]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> (
    HTTPValidationError
    | Problem
    | StripeConnectWebhookResponseStripeConnectWebhook
    | None
):
    """Stripe Connect Webhook

     Stripe's events on makers' connected accounts (a Connect endpoint's, signed with its own
    secret): whether an account can be paid, its disconnection, its payouts to its bank.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Problem | StripeConnectWebhookResponseStripeConnectWebhook
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[
    HTTPValidationError | Problem | StripeConnectWebhookResponseStripeConnectWebhook
]:
    """Stripe Connect Webhook

     Stripe's events on makers' connected accounts (a Connect endpoint's, signed with its own
    secret): whether an account can be paid, its disconnection, its payouts to its bank.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Problem | StripeConnectWebhookResponseStripeConnectWebhook]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> (
    HTTPValidationError
    | Problem
    | StripeConnectWebhookResponseStripeConnectWebhook
    | None
):
    """Stripe Connect Webhook

     Stripe's events on makers' connected accounts (a Connect endpoint's, signed with its own
    secret): whether an account can be paid, its disconnection, its payouts to its bank.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Problem | StripeConnectWebhookResponseStripeConnectWebhook
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
