from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    cast_id: str,
    name: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/casts/{cast_id}/artifacts/{name}".format(
            cast_id=quote(str(cast_id), safe=""),
            name=quote(str(name), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | HTTPValidationError | Problem | None:
    if response.status_code == 200:
        response_200 = cast(Any, None)
        return response_200

    if response.status_code == 307:
        response_307 = cast(Any, None)
        return response_307

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
) -> Response[Any | HTTPValidationError | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    cast_id: str,
    name: str,
    *,
    client: AuthenticatedClient,
) -> Response[Any | HTTPValidationError | Problem]:
    """Get Artifact

     A file a cast of the caller's wrote under /scratch. On an object store, the answer is a
    redirect to a presigned link (SPELL_ARTIFACT_LINK_TTL_S) that serves it from there.

    Args:
        cast_id (str):
        name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
        name=name,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    cast_id: str,
    name: str,
    *,
    client: AuthenticatedClient,
) -> Any | HTTPValidationError | Problem | None:
    """Get Artifact

     A file a cast of the caller's wrote under /scratch. On an object store, the answer is a
    redirect to a presigned link (SPELL_ARTIFACT_LINK_TTL_S) that serves it from there.

    Args:
        cast_id (str):
        name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | HTTPValidationError | Problem
    """

    return sync_detailed(
        cast_id=cast_id,
        name=name,
        client=client,
    ).parsed


async def asyncio_detailed(
    cast_id: str,
    name: str,
    *,
    client: AuthenticatedClient,
) -> Response[Any | HTTPValidationError | Problem]:
    """Get Artifact

     A file a cast of the caller's wrote under /scratch. On an object store, the answer is a
    redirect to a presigned link (SPELL_ARTIFACT_LINK_TTL_S) that serves it from there.

    Args:
        cast_id (str):
        name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        cast_id=cast_id,
        name=name,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    cast_id: str,
    name: str,
    *,
    client: AuthenticatedClient,
) -> Any | HTTPValidationError | Problem | None:
    """Get Artifact

     A file a cast of the caller's wrote under /scratch. On an object store, the answer is a
    redirect to a presigned link (SPELL_ARTIFACT_LINK_TTL_S) that serves it from there.

    Args:
        cast_id (str):
        name (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            cast_id=cast_id,
            name=name,
            client=client,
        )
    ).parsed
