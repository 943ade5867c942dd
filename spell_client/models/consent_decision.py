from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ConsentDecision")


@_attrs_define
class ConsentDecision:
    """
    Attributes:
        approve (bool):
        request (str): The `request` the page was given.
        daily_cap_micros (int | None | Unset): What the agent may spend per UTC day; no cap of its own if null.
        expires_at (datetime.datetime | None | Unset): When the agent's access ends (with a time zone).
        scopes (list[str] | None | Unset): The scopes granted (some of those asked); all asked if null.
    """

    approve: bool
    request: str
    daily_cap_micros: int | None | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    scopes: list[str] | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        approve = self.approve

        request = self.request

        daily_cap_micros: int | None | Unset
        if isinstance(self.daily_cap_micros, Unset):
            daily_cap_micros = UNSET
        else:
            daily_cap_micros = self.daily_cap_micros

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        scopes: list[str] | None | Unset
        if isinstance(self.scopes, Unset):
            scopes = UNSET
        elif isinstance(self.scopes, list):
            scopes = self.scopes

        else:
            scopes = self.scopes

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "approve": approve,
                "request": request,
            }
        )
        if daily_cap_micros is not UNSET:
            field_dict["daily_cap_micros"] = daily_cap_micros
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if scopes is not UNSET:
            field_dict["scopes"] = scopes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        approve = d.pop("approve")

        request = d.pop("request")

        def _parse_daily_cap_micros(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        daily_cap_micros = _parse_daily_cap_micros(d.pop("daily_cap_micros", UNSET))

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_scopes(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                scopes_type_0 = cast(list[str], data)

                return scopes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        scopes = _parse_scopes(d.pop("scopes", UNSET))

        consent_decision = cls(
            approve=approve,
            request=request,
            daily_cap_micros=daily_cap_micros,
            expires_at=expires_at,
            scopes=scopes,
        )

        return consent_decision
