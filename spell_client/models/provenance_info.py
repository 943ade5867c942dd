from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.provenance_info_attestation_type_0 import (
        ProvenanceInfoAttestationType0,
    )
    from ..models.provenance_info_matched_signer import ProvenanceInfoMatchedSigner


T = TypeVar("T", bound="ProvenanceInfo")


@_attrs_define
class ProvenanceInfo:
    """Who signed a version, as established by its Sigstore bundle.

    Attributes:
        artifact_sha256 (str): SHA-256 of the canonical package that was signed.
        identity (str): The signing certificate's identity (SAN).
        integrated_time (datetime.datetime | None):
        issuer (str): The OIDC issuer that vouched for it.
        matched_signer (ProvenanceInfoMatchedSigner): The maker's registered identity it matched.
        rekor_log_index (int):
        attestation (None | ProvenanceInfoAttestationType0 | Unset): For an attestation bundle (a DSSE envelope, as
            GitHub's artifact attestations make): its predicate type and, for SLSA provenance, the builder, repository,
            workflow, ref and commit.
    """

    artifact_sha256: str
    identity: str
    integrated_time: datetime.datetime | None
    issuer: str
    matched_signer: ProvenanceInfoMatchedSigner
    rekor_log_index: int
    attestation: None | ProvenanceInfoAttestationType0 | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.provenance_info_attestation_type_0 import (
            ProvenanceInfoAttestationType0,
        )

        artifact_sha256 = self.artifact_sha256

        identity = self.identity

        integrated_time: None | str
        if isinstance(self.integrated_time, datetime.datetime):
            integrated_time = self.integrated_time.isoformat()
        else:
            integrated_time = self.integrated_time

        issuer = self.issuer

        matched_signer = self.matched_signer.to_dict()

        rekor_log_index = self.rekor_log_index

        attestation: dict[str, Any] | None | Unset
        if isinstance(self.attestation, Unset):
            attestation = UNSET
        elif isinstance(self.attestation, ProvenanceInfoAttestationType0):
            attestation = self.attestation.to_dict()
        else:
            attestation = self.attestation

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "artifact_sha256": artifact_sha256,
                "identity": identity,
                "integrated_time": integrated_time,
                "issuer": issuer,
                "matched_signer": matched_signer,
                "rekor_log_index": rekor_log_index,
            }
        )
        if attestation is not UNSET:
            field_dict["attestation"] = attestation

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.provenance_info_attestation_type_0 import (
            ProvenanceInfoAttestationType0,
        )
        from ..models.provenance_info_matched_signer import ProvenanceInfoMatchedSigner

        d = dict(src_dict)
        artifact_sha256 = d.pop("artifact_sha256")

        identity = d.pop("identity")

        def _parse_integrated_time(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                integrated_time_type_0 = datetime.datetime.fromisoformat(data)

                return integrated_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        integrated_time = _parse_integrated_time(d.pop("integrated_time"))

        issuer = d.pop("issuer")

        matched_signer = ProvenanceInfoMatchedSigner.from_dict(d.pop("matched_signer"))

        rekor_log_index = d.pop("rekor_log_index")

        def _parse_attestation(
            data: object,
        ) -> None | ProvenanceInfoAttestationType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                attestation_type_0 = ProvenanceInfoAttestationType0.from_dict(data)

                return attestation_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ProvenanceInfoAttestationType0 | Unset, data)

        attestation = _parse_attestation(d.pop("attestation", UNSET))

        provenance_info = cls(
            artifact_sha256=artifact_sha256,
            identity=identity,
            integrated_time=integrated_time,
            issuer=issuer,
            matched_signer=matched_signer,
            rekor_log_index=rekor_log_index,
            attestation=attestation,
        )

        provenance_info.additional_properties = d
        return provenance_info

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
