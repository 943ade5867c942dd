from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pinned import Pinned
    from ..models.price import Price
    from ..models.spell_detail_enforced_limits import SpellDetailEnforcedLimits
    from ..models.spell_detail_input_schema import SpellDetailInputSchema
    from ..models.spell_detail_limits import SpellDetailLimits
    from ..models.spell_detail_output_schema_type_0 import SpellDetailOutputSchemaType0
    from ..models.spell_detail_policy import SpellDetailPolicy


T = TypeVar("T", bound="SpellDetail")


@_attrs_define
class SpellDetail:
    """
    Attributes:
        author (str):
        category (None | str):
        description (str):
        enforced_limits (SpellDetailEnforcedLimits): The limits a cast runs under: the manifest's, within this
            platform's ceilings (bytes, milliseconds, fuel units).
        input_schema (SpellDetailInputSchema):
        key (str):
        license_ (str):
        limits (SpellDetailLimits): The limits the manifest asks for.
        module_digest (str):
        name (str):
        output_schema (None | SpellDetailOutputSchemaType0):
        policy (SpellDetailPolicy):
        price (Price):
        published_at (datetime.datetime):
        signed (bool): False for unsigned development spells.
        tags (list[str]):
        tool_name (str): The spell's MCP tool name.
        version (str):
        deterministic (bool | Unset): Clocks and random source fixed from the cast id: its casts can be replayed.
            Default: False.
        icon (None | str | Unset): The spell's icon as a data: URI (PNG, JPEG, GIF or WebP).
        pinned (None | Pinned | Unset): Set when this (latest) version asks for more than you accepted: you are served
            the version you know until you accept it.
    """

    author: str
    category: None | str
    description: str
    enforced_limits: SpellDetailEnforcedLimits
    input_schema: SpellDetailInputSchema
    key: str
    license_: str
    limits: SpellDetailLimits
    module_digest: str
    name: str
    output_schema: None | SpellDetailOutputSchemaType0
    policy: SpellDetailPolicy
    price: Price
    published_at: datetime.datetime
    signed: bool
    tags: list[str]
    tool_name: str
    version: str
    deterministic: bool | Unset = False
    icon: None | str | Unset = UNSET
    pinned: None | Pinned | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.pinned import Pinned
        from ..models.spell_detail_output_schema_type_0 import (
            SpellDetailOutputSchemaType0,
        )

        author = self.author

        category: None | str
        category = self.category

        description = self.description

        enforced_limits = self.enforced_limits.to_dict()

        input_schema = self.input_schema.to_dict()

        key = self.key

        license_ = self.license_

        limits = self.limits.to_dict()

        module_digest = self.module_digest

        name = self.name

        output_schema: dict[str, Any] | None
        if isinstance(self.output_schema, SpellDetailOutputSchemaType0):
            output_schema = self.output_schema.to_dict()
        else:
            output_schema = self.output_schema

        policy = self.policy.to_dict()

        price = self.price.to_dict()

        published_at = self.published_at.isoformat()

        signed = self.signed

        tags = self.tags

        tool_name = self.tool_name

        version = self.version

        deterministic = self.deterministic

        icon: None | str | Unset
        if isinstance(self.icon, Unset):
            icon = UNSET
        else:
            icon = self.icon

        pinned: dict[str, Any] | None | Unset
        if isinstance(self.pinned, Unset):
            pinned = UNSET
        elif isinstance(self.pinned, Pinned):
            pinned = self.pinned.to_dict()
        else:
            pinned = self.pinned

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "author": author,
                "category": category,
                "description": description,
                "enforced_limits": enforced_limits,
                "input_schema": input_schema,
                "key": key,
                "license": license_,
                "limits": limits,
                "module_digest": module_digest,
                "name": name,
                "output_schema": output_schema,
                "policy": policy,
                "price": price,
                "published_at": published_at,
                "signed": signed,
                "tags": tags,
                "tool_name": tool_name,
                "version": version,
            }
        )
        if deterministic is not UNSET:
            field_dict["deterministic"] = deterministic
        if icon is not UNSET:
            field_dict["icon"] = icon
        if pinned is not UNSET:
            field_dict["pinned"] = pinned

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.pinned import Pinned
        from ..models.price import Price
        from ..models.spell_detail_enforced_limits import SpellDetailEnforcedLimits
        from ..models.spell_detail_input_schema import SpellDetailInputSchema
        from ..models.spell_detail_limits import SpellDetailLimits
        from ..models.spell_detail_output_schema_type_0 import (
            SpellDetailOutputSchemaType0,
        )
        from ..models.spell_detail_policy import SpellDetailPolicy

        d = dict(src_dict)
        author = d.pop("author")

        def _parse_category(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        category = _parse_category(d.pop("category"))

        description = d.pop("description")

        enforced_limits = SpellDetailEnforcedLimits.from_dict(d.pop("enforced_limits"))

        input_schema = SpellDetailInputSchema.from_dict(d.pop("input_schema"))

        key = d.pop("key")

        license_ = d.pop("license")

        limits = SpellDetailLimits.from_dict(d.pop("limits"))

        module_digest = d.pop("module_digest")

        name = d.pop("name")

        def _parse_output_schema(data: object) -> None | SpellDetailOutputSchemaType0:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                output_schema_type_0 = SpellDetailOutputSchemaType0.from_dict(data)

                return output_schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SpellDetailOutputSchemaType0, data)

        output_schema = _parse_output_schema(d.pop("output_schema"))

        policy = SpellDetailPolicy.from_dict(d.pop("policy"))

        price = Price.from_dict(d.pop("price"))

        published_at = datetime.datetime.fromisoformat(d.pop("published_at"))

        signed = d.pop("signed")

        tags = cast(list[str], d.pop("tags"))

        tool_name = d.pop("tool_name")

        version = d.pop("version")

        deterministic = d.pop("deterministic", UNSET)

        def _parse_icon(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        icon = _parse_icon(d.pop("icon", UNSET))

        def _parse_pinned(data: object) -> None | Pinned | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pinned_type_0 = Pinned.from_dict(data)

                return pinned_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Pinned | Unset, data)

        pinned = _parse_pinned(d.pop("pinned", UNSET))

        spell_detail = cls(
            author=author,
            category=category,
            description=description,
            enforced_limits=enforced_limits,
            input_schema=input_schema,
            key=key,
            license_=license_,
            limits=limits,
            module_digest=module_digest,
            name=name,
            output_schema=output_schema,
            policy=policy,
            price=price,
            published_at=published_at,
            signed=signed,
            tags=tags,
            tool_name=tool_name,
            version=version,
            deterministic=deterministic,
            icon=icon,
            pinned=pinned,
        )

        spell_detail.additional_properties = d
        return spell_detail

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
