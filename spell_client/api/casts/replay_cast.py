from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.replay_request import ReplayRequest
from ...models.replay_result import ReplayResult
from ...types import Response


def _get_kwargs(
    cast_id: str,
    *,
    body: ReplayRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/casts/{cast_id}/replay".format(
            cast_id=quote(str(cast_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | ReplayResult | None:
    if response.status_code == 200:
        response_200 = ReplayResult.from_dict(response.json())

        return response_200

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | ReplayResult]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    cast_id: str,
    *,
    client: AuthenticatedClient,
    body: ReplayRequest,
) -> Response[Problem | ReplayResult]:
    """Replay Cast

     Run one of your successful casts of a deterministic spell again, to check its receipt:
    the same module (by digest), your input (which must hash to the receipt's input_sha256) and
    the cast's seed. `matches` says whether the output hashes to the receipt's output_sha256.
    Free: nothing is held, charged or recorded. Refused (replay_unavailable) for other spells, for
    spells that read their maker's secrets (a replay never receives them), and for what no cast
    may run (a suspended spell, a yanked or delisted version).

    Args:
        cast_id (str):
        body (ReplayRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReplayResult]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    cast_id: str,
    *,
    client: AuthenticatedClient,
    body: ReplayRequest,
) -> Problem | ReplayResult | None:
    """Replay Cast

     Run one of your successful casts of a deterministic spell again, to check its receipt:
    the same module (by digest), your input (which must hash to the receipt's input_sha256) and
    the cast's seed. `matches` says whether the output hashes to the receipt's output_sha256.
    Free: nothing is held, charged or recorded. Refused (replay_unavailable) for other spells, for
    spells that read their maker's secrets (a replay never receives them), and for what no cast
    may run (a suspended spell, a yanked or delisted version).

    Args:
        cast_id (str):
        body (ReplayRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReplayResult
    """

    return sync_detailed(
        cast_id=cast_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    cast_id: str,
    *,
    client: AuthenticatedClient,
    body: ReplayRequest,
) -> Response[Problem | ReplayResult]:
    """Replay Cast

     Run one of your successful casts of a deterministic spell again, to check its receipt:
    the same module (by digest), your input (which must hash to the receipt's input_sha256) and
    the cast's seed. `matches` says whether the output hashes to the receipt's output_sha256.
    Free: nothing is held, charged or recorded. Refused (replay_unavailable) for other spells, for
    spells that read their maker's secrets (a replay never receives them), and for what no cast
    may run (a suspended spell, a yanked or delisted version).

    Args:
        cast_id (str):
        body (ReplayRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReplayResult]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    cast_id: str,
    *,
    client: AuthenticatedClient,
    body: ReplayRequest,
) -> Problem | ReplayResult | None:
    """Replay Cast

     Run one of your successful casts of a deterministic spell again, to check its receipt:
    the same module (by digest), your input (which must hash to the receipt's input_sha256) and
    the cast's seed. `matches` says whether the output hashes to the receipt's output_sha256.
    Free: nothing is held, charged or recorded. Refused (replay_unavailable) for other spells, for
    spells that read their maker's secrets (a replay never receives them), and for what no cast
    may run (a suspended spell, a yanked or delisted version).

    Args:
        cast_id (str):
        body (ReplayRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReplayResult
    """

    return (
        await asyncio_detailed(
            cast_id=cast_id,
            client=client,
            body=body,
        )
    ).parsed
