from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SignerIn")


@_attrs_define
class SignerIn:
    """
    Attributes:
        identity (str): Certificate SAN: an e-mail, or a workflow URI for CI signing.
        issuer (str): OIDC issuer, e.g. https://token.actions.githubusercontent.com.
        repository (None | str | Unset): GitHub Actions: owner/repo the workflow ran in.
        trigger (None | str | Unset): GitHub Actions: the triggering event, e.g. release.
        workflow_ref (None | str | Unset): GitHub Actions: the ref, e.g. refs/tags/v1.0.0.
    """

    identity: str
    issuer: str
    repository: None | str | Unset = UNSET
    trigger: None | str | Unset = UNSET
    workflow_ref: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        identity = self.identity

        issuer = self.issuer

        repository: None | str | Unset
        if isinstance(self.repository, Unset):
            repository = UNSET
        else:
            repository = self.repository

        trigger: None | str | Unset
        if isinstance(self.trigger, Unset):
            trigger = UNSET
        else:
            trigger = self.trigger

        workflow_ref: None | str | Unset
        if isinstance(self.workflow_ref, Unset):
            workflow_ref = UNSET
        else:
            workflow_ref = self.workflow_ref

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "identity": identity,
                "issuer": issuer,
            }
        )
        if repository is not UNSET:
            field_dict["repository"] = repository
        if trigger is not UNSET:
            field_dict["trigger"] = trigger
        if workflow_ref is not UNSET:
            field_dict["workflow_ref"] = workflow_ref

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        identity = d.pop("identity")

        issuer = d.pop("issuer")

        def _parse_repository(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        repository = _parse_repository(d.pop("repository", UNSET))

        def _parse_trigger(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        trigger = _parse_trigger(d.pop("trigger", UNSET))

        def _parse_workflow_ref(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        workflow_ref = _parse_workflow_ref(d.pop("workflow_ref", UNSET))

        signer_in = cls(
            identity=identity,
            issuer=issuer,
            repository=repository,
            trigger=trigger,
            workflow_ref=workflow_ref,
        )

        return signer_in
