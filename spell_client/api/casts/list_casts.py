from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.cast_list import CastList
from ...models.http_validation_error import HTTPValidationError
from ...models.list_casts_status_type_0 import ListCastsStatusType0
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    spell: None | str | Unset = UNSET,
    status: ListCastsStatusType0 | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_spell: None | str | Unset
    if isinstance(spell, Unset):
        json_spell = UNSET
    else:
        json_spell = spell
    params["spell"] = json_spell

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, ListCastsStatusType0):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/casts",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CastList | HTTPValidationError | Problem | None:
    if response.status_code == 200:
        response_200 = CastList.from_dict(response.json())

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
) -> Response[CastList | HTTPValidationError | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    spell: None | str | Unset = UNSET,
    status: ListCastsStatusType0 | None | Unset = UNSET,
) -> Response[CastList | HTTPValidationError | Problem]:
    """List Casts

     Your casts, newest first.

    Args:
        limit (int | Unset): Items per page. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page; omit for the first page.
        spell (None | str | Unset): Only casts of this spell key.
        status (ListCastsStatusType0 | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CastList | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        spell=spell,
        status=status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    spell: None | str | Unset = UNSET,
    status: ListCastsStatusType0 | None | Unset = UNSET,
) -> CastList | HTTPValidationError | Problem | None:
    """List Casts

     Your casts, newest first.

    Args:
        limit (int | Unset): Items per page. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page; omit for the first page.
        spell (None | str | Unset): Only casts of this spell key.
        status (ListCastsStatusType0 | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CastList | HTTPValidationError | Problem
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        spell=spell,
        status=status,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    spell: None | str | Unset = UNSET,
    status: ListCastsStatusType0 | None | Unset = UNSET,
) -> Response[CastList | HTTPValidationError | Problem]:
    """List Casts

     Your casts, newest first.

    Args:
        limit (int | Unset): Items per page. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page; omit for the first page.
        spell (None | str | Unset): Only casts of this spell key.
        status (ListCastsStatusType0 | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CastList | HTTPValidationError | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        spell=spell,
        status=status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    spell: None | str | Unset = UNSET,
    status: ListCastsStatusType0 | None | Unset = UNSET,
) -> CastList | HTTPValidationError | Problem | None:
    """List Casts

     Your casts, newest first.

    Args:
        limit (int | Unset): Items per page. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page; omit for the first page.
        spell (None | str | Unset): Only casts of this spell key.
        status (ListCastsStatusType0 | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CastList | HTTPValidationError | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            spell=spell,
            status=status,
        )
    ).parsed
