import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.my_usage_format import MyUsageFormat
from ...models.my_usage_group import MyUsageGroup
from ...models.problem import Problem
from ...models.usage_report import UsageReport
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    group: MyUsageGroup | Unset = MyUsageGroup.DAY,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    format_: MyUsageFormat | Unset = MyUsageFormat.JSON,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_group: str | Unset = UNSET
    if not isinstance(group, Unset):
        json_group = group.value

    params["group"] = json_group

    json_since: None | str | Unset
    if isinstance(since, Unset):
        json_since = UNSET
    elif isinstance(since, datetime.datetime):
        json_since = since.isoformat()
    else:
        json_since = since
    params["since"] = json_since

    json_until: None | str | Unset
    if isinstance(until, Unset):
        json_until = UNSET
    elif isinstance(until, datetime.datetime):
        json_until = until.isoformat()
    else:
        json_until = until
    params["until"] = json_until

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/users/me/usage",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPValidationError | Problem | UsageReport | None:
    if response.status_code == 200:
        response_200 = UsageReport.from_dict(response.json())

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
) -> Response[HTTPValidationError | Problem | UsageReport]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    group: MyUsageGroup | Unset = MyUsageGroup.DAY,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    format_: MyUsageFormat | Unset = MyUsageFormat.JSON,
) -> Response[HTTPValidationError | Problem | UsageReport]:
    """My Usage

     What your successful casts cost, grouped by day, spell or API key.

    Args:
        group (MyUsageGroup | Unset): Rows per day, spell or key. Default: MyUsageGroup.DAY.
        since (datetime.datetime | None | Unset): From (inclusive); default 30 days ago.
        until (datetime.datetime | None | Unset): To (exclusive); default now.
        format_ (MyUsageFormat | Unset):  Default: MyUsageFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Problem | UsageReport]
    """

    kwargs = _get_kwargs(
        group=group,
        since=since,
        until=until,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    group: MyUsageGroup | Unset = MyUsageGroup.DAY,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    format_: MyUsageFormat | Unset = MyUsageFormat.JSON,
) -> HTTPValidationError | Problem | UsageReport | None:
    """My Usage

     What your successful casts cost, grouped by day, spell or API key.

    Args:
        group (MyUsageGroup | Unset): Rows per day, spell or key. Default: MyUsageGroup.DAY.
        since (datetime.datetime | None | Unset): From (inclusive); default 30 days ago.
        until (datetime.datetime | None | Unset): To (exclusive); default now.
        format_ (MyUsageFormat | Unset):  Default: MyUsageFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Problem | UsageReport
    """

    return sync_detailed(
        client=client,
        group=group,
        since=since,
        until=until,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    group: MyUsageGroup | Unset = MyUsageGroup.DAY,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    format_: MyUsageFormat | Unset = MyUsageFormat.JSON,
) -> Response[HTTPValidationError | Problem | UsageReport]:
    """My Usage

     What your successful casts cost, grouped by day, spell or API key.

    Args:
        group (MyUsageGroup | Unset): Rows per day, spell or key. Default: MyUsageGroup.DAY.
        since (datetime.datetime | None | Unset): From (inclusive); default 30 days ago.
        until (datetime.datetime | None | Unset): To (exclusive); default now.
        format_ (MyUsageFormat | Unset):  Default: MyUsageFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | Problem | UsageReport]
    """

    kwargs = _get_kwargs(
        group=group,
        since=since,
        until=until,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    group: MyUsageGroup | Unset = MyUsageGroup.DAY,
    since: datetime.datetime | None | Unset = UNSET,
    until: datetime.datetime | None | Unset = UNSET,
    format_: MyUsageFormat | Unset = MyUsageFormat.JSON,
) -> HTTPValidationError | Problem | UsageReport | None:
    """My Usage

     What your successful casts cost, grouped by day, spell or API key.

    Args:
        group (MyUsageGroup | Unset): Rows per day, spell or key. Default: MyUsageGroup.DAY.
        since (datetime.datetime | None | Unset): From (inclusive); default 30 days ago.
        until (datetime.datetime | None | Unset): To (exclusive); default now.
        format_ (MyUsageFormat | Unset):  Default: MyUsageFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | Problem | UsageReport
    """

    return (
        await asyncio_detailed(
            client=client,
            group=group,
            since=since,
            until=until,
            format_=format_,
        )
    ).parsed
