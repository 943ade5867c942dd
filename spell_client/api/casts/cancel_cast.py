from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.cast_record import CastRecord
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    cast_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/casts/{cast_id}/cancel".format(
            cast_id=quote(str(cast_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CastRecord | HTTPValidationError | Problem | None:
    if response.status_code == 200:
        response_200 = CastRecord.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CastRecord | HTTPValidationError | Problem]:
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
) -> Response[CastRecord | HTTPValidationError | Problem]:
    """Cancel Cast

     Cancel a queued cast (`Prefer: respond-async`) that has not finished: its hold is released
    and it is recorded as failed with `cast_cancelled`, never charged. A cast that has finished
    is returned as it is.

    Args:
        cast_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CastRecord | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    cast_id: str,
    *,
    client: AuthenticatedClient,
) -> CastRecord | HTTPValidationError | Problem | None:
    """Cancel Cast

     Cancel a queued cast (`Prefer: respond-async`) that has not finished: its hold is released
    and it is recorded as failed with `cast_cancelled`, never charged. A cast that has finished
    is returned as it is.

    Args:
        cast_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CastRecord | HTTPValidationError | Problem
    """

    return sync_detailed(
        cast_id=cast_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    cast_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[CastRecord | HTTPValidationError | Problem]:
    """Cancel Cast

     Cancel a queued cast (`Prefer: respond-async`) that has not finished: its hold is released
    and it is recorded as failed with `cast_cancelled`, never charged. A cast that has finished
    is returned as it is.

    Args:
        cast_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CastRecord | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    cast_id: str,
    *,
    client: AuthenticatedClient,
) -> CastRecord | HTTPValidationError | Problem | None:
    """Cancel Cast

     Cancel a queued cast (`Prefer: respond-async`) that has not finished: its hold is released
    and it is recorded as failed with `cast_cancelled`, never charged. A cast that has finished
    is returned as it is.

    Args:
        cast_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CastRecord | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            cast_id=cast_id,
            client=client,
        )
    ).parsed
