from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.replay_request_input import ReplayRequestInput


T = TypeVar("T", bound="ReplayRequest")


@_attrs_define
class ReplayRequest:
    """
    Attributes:
        input_ (ReplayRequestInput): The cast's exact input (only its hash was kept): the same JSON object, keys in the
            same order, so that it hashes to the receipt's input_sha256.
    """

    input_: ReplayRequestInput

    def to_dict(self) -> dict[str, Any]:
        input_ = self.input_.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "input": input_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.replay_request_input import ReplayRequestInput

        d = dict(src_dict)
        input_ = ReplayRequestInput.from_dict(d.pop("input"))

        replay_request = cls(
            input_=input_,
        )

        return replay_request
