from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...models.stripe_webhook_response_stripe_webhook import (
    StripeWebhookResponseStripeWebhook,
)
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhooks/stripe",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook | None:
    if response.status_code == 200:
        response_200 = StripeWebhookResponseStripeWebhook.from_dict(response.json())

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

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook]:
    """Stripe Webhook

     Stripe's events on the platform's own account (signed with this endpoint's secret): the
    only way credits are bought. Each is handled once however often it arrives; events this
    platform does not act on are acknowledged and recorded.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook | None:
    """Stripe Webhook

     Stripe's events on the platform's own account (signed with this endpoint's secret): the
    only way credits are bought. Each is handled once however often it arrives; events this
    platform does not act on are acknowledged and recorded.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook]:
    """Stripe Webhook

     Stripe's events on the platform's own account (signed with this endpoint's secret): the
    only way credits are bought. Each is handled once however often it arrives; events this
    platform does not act on are acknowledged and recorded.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook | None:
    """Stripe Webhook

     Stripe's events on the platform's own account (signed with this endpoint's secret): the
    only way credits are bought. Each is handled once however often it arrives; events this
    platform does not act on are acknowledged and recorded.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Problem | StripeWebhookResponseStripeWebhook
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
