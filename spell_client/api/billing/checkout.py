from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.top_up_request import TopUpRequest
from ...models.top_up_started import TopUpStarted
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: TopUpRequest,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["idempotency-key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/billing/checkout",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TopUpStarted | None:
    if response.status_code == 201:
        response_201 = TopUpStarted.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

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
) -> Response[Problem | TopUpStarted]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TopUpRequest,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Problem | TopUpStarted]:
    """Checkout

     Buy credits: a Stripe Checkout page to pay on. The credits arrive when Stripe says the
    payment succeeded (its webhook), not before.

    Args:
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.
        body (TopUpRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TopUpStarted]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: TopUpRequest,
    idempotency_key: None | str | Unset = UNSET,
) -> Problem | TopUpStarted | None:
    """Checkout

     Buy credits: a Stripe Checkout page to pay on. The credits arrive when Stripe says the
    payment succeeded (its webhook), not before.

    Args:
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.
        body (TopUpRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TopUpStarted
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TopUpRequest,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Problem | TopUpStarted]:
    """Checkout

     Buy credits: a Stripe Checkout page to pay on. The credits arrive when Stripe says the
    payment succeeded (its webhook), not before.

    Args:
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.
        body (TopUpRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TopUpStarted]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TopUpRequest,
    idempotency_key: None | str | Unset = UNSET,
) -> Problem | TopUpStarted | None:
    """Checkout

     Buy credits: a Stripe Checkout page to pay on. The credits arrive when Stripe says the
    payment succeeded (its webhook), not before.

    Args:
        idempotency_key (None | str | Unset): Send the same key to retry safely: you get the first
            response, and nothing is done twice.
        body (TopUpRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TopUpStarted
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
