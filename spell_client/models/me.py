from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.me_via import MeVia
from ..types import UNSET, Unset

T = TypeVar("T", bound="Me")


@_attrs_define
class Me:
    """
    Attributes:
        github_id (int | None): The GitHub account that signs in as you, if any.
        id (str):
        is_operator (bool):
        key_id (None | str):
        name (str):
        scopes (list[str]):
        via (MeVia): How this request was authenticated.
        email (None | str | Unset): Where the platform may write to you, if you gave it.
    """

    github_id: int | None
    id: str
    is_operator: bool
    key_id: None | str
    name: str
    scopes: list[str]
    via: MeVia
    email: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        github_id: int | None
        github_id = self.github_id

        id = self.id

        is_operator = self.is_operator

        key_id: None | str
        key_id = self.key_id

        name = self.name

        scopes = self.scopes

        via = self.via.value

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "github_id": github_id,
                "id": id,
                "is_operator": is_operator,
                "key_id": key_id,
                "name": name,
                "scopes": scopes,
                "via": via,
            }
        )
        if email is not UNSET:
            field_dict["email"] = email

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_github_id(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        github_id = _parse_github_id(d.pop("github_id"))

        id = d.pop("id")

        is_operator = d.pop("is_operator")

        def _parse_key_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        key_id = _parse_key_id(d.pop("key_id"))

        name = d.pop("name")

        scopes = cast(list[str], d.pop("scopes"))

        via = MeVia(d.pop("via"))

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        me = cls(
            github_id=github_id,
            id=id,
            is_operator=is_operator,
            key_id=key_id,
            name=name,
            scopes=scopes,
            via=via,
            email=email,
        )

        me.additional_properties = d
        return me

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
