from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.price import Price


T = TypeVar("T", bound="SpellSummary")


@_attrs_define
class SpellSummary:
    """
    Attributes:
        category (None | str):
        description (str):
        key (str):
        name (str):
        price (Price):
        signed (bool): False for unsigned development spells.
        tags (list[str]):
        tool_name (str): The spell's MCP tool name.
        version (str):
        icon (None | str | Unset): The spell's icon as a data: URI (PNG, JPEG, GIF or WebP).
    """

    category: None | str
    description: str
    key: str
    name: str
    price: Price
    signed: bool
    tags: list[str]
    tool_name: str
    version: str
    icon: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        category: None | str
        category = self.category

        description = self.description

        key = self.key

        name = self.name

        price = self.price.to_dict()

        signed = self.signed

        tags = self.tags

        tool_name = self.tool_name

        version = self.version

        icon: None | str | Unset
        if isinstance(self.icon, Unset):
            icon = UNSET
        else:
            icon = self.icon

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "category": category,
                "description": description,
                "key": key,
                "name": name,
                "price": price,
                "signed": signed,
                "tags": tags,
                "tool_name": tool_name,
                "version": version,
            }
        )
        if icon is not UNSET:
            field_dict["icon"] = icon

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.price import Price

        d = dict(src_dict)

        def _parse_category(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        category = _parse_category(d.pop("category"))

        description = d.pop("description")

        key = d.pop("key")

        name = d.pop("name")

        price = Price.from_dict(d.pop("price"))

        signed = d.pop("signed")

        tags = cast(list[str], d.pop("tags"))

        tool_name = d.pop("tool_name")

        version = d.pop("version")

        def _parse_icon(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        icon = _parse_icon(d.pop("icon", UNSET))

        spell_summary = cls(
            category=category,
            description=description,
            key=key,
            name=name,
            price=price,
            signed=signed,
            tags=tags,
            tool_name=tool_name,
            version=version,
            icon=icon,
        )

        spell_summary.additional_properties = d
        return spell_summary

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
