from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.sbom_summary_components_item import SbomSummaryComponentsItem
    from ..models.sbom_summary_findings_item import SbomSummaryFindingsItem
    from ..models.sbom_summary_licence_warnings_item import (
        SbomSummaryLicenceWarningsItem,
    )
    from ..models.sbom_summary_licences import SbomSummaryLicences
    from ..models.sbom_summary_vulnerabilities import SbomSummaryVulnerabilities


T = TypeVar("T", bound="SbomSummary")


@_attrs_define
class SbomSummary:
    """
    Attributes:
        components (list[SbomSummaryComponentsItem]):
        delist_at (datetime.datetime | None): When a version left vulnerable will be delisted.
        findings (list[SbomSummaryFindingsItem]): Each known vulnerability: id, package, score, fixed.
        format_ (str):
        key (str):
        last_scan (datetime.datetime | None):
        licence_warnings (list[SbomSummaryLicenceWarningsItem]):
        licences (SbomSummaryLicences): Packages per declared licence expression.
        packages (int):
        version (str):
        vulnerabilities (SbomSummaryVulnerabilities): Findings by severity at the last scan.
    """

    components: list[SbomSummaryComponentsItem]
    delist_at: datetime.datetime | None
    findings: list[SbomSummaryFindingsItem]
    format_: str
    key: str
    last_scan: datetime.datetime | None
    licence_warnings: list[SbomSummaryLicenceWarningsItem]
    licences: SbomSummaryLicences
    packages: int
    version: str
    vulnerabilities: SbomSummaryVulnerabilities
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        components = []
        for components_item_data in self.components:
            components_item = components_item_data.to_dict()
            components.append(components_item)

        delist_at: None | str
        if isinstance(self.delist_at, datetime.datetime):
            delist_at = self.delist_at.isoformat()
        else:
            delist_at = self.delist_at

        findings = []
        for findings_item_data in self.findings:
            findings_item = findings_item_data.to_dict()
            findings.append(findings_item)

        format_ = self.format_

        key = self.key

        last_scan: None | str
        if isinstance(self.last_scan, datetime.datetime):
            last_scan = self.last_scan.isoformat()
        else:
            last_scan = self.last_scan

        licence_warnings = []
        for licence_warnings_item_data in self.licence_warnings:
            licence_warnings_item = licence_warnings_item_data.to_dict()
            licence_warnings.append(licence_warnings_item)

        licences = self.licences.to_dict()

        packages = self.packages

        version = self.version

        vulnerabilities = self.vulnerabilities.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "components": components,
                "delist_at": delist_at,
                "findings": findings,
                "format": format_,
                "key": key,
                "last_scan": last_scan,
                "licence_warnings": licence_warnings,
                "licences": licences,
                "packages": packages,
                "version": version,
                "vulnerabilities": vulnerabilities,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.sbom_summary_components_item import SbomSummaryComponentsItem
        from ..models.sbom_summary_findings_item import SbomSummaryFindingsItem
        from ..models.sbom_summary_licence_warnings_item import (
            SbomSummaryLicenceWarningsItem,
        )
        from ..models.sbom_summary_licences import SbomSummaryLicences
        from ..models.sbom_summary_vulnerabilities import SbomSummaryVulnerabilities

        d = dict(src_dict)
        components = []
        _components = d.pop("components")
        for components_item_data in _components:
            components_item = SbomSummaryComponentsItem.from_dict(components_item_data)

            components.append(components_item)

        def _parse_delist_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                delist_at_type_0 = datetime.datetime.fromisoformat(data)

                return delist_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        delist_at = _parse_delist_at(d.pop("delist_at"))

        findings = []
        _findings = d.pop("findings")
        for findings_item_data in _findings:
            findings_item = SbomSummaryFindingsItem.from_dict(findings_item_data)

            findings.append(findings_item)

        format_ = d.pop("format")

        key = d.pop("key")

        def _parse_last_scan(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_scan_type_0 = datetime.datetime.fromisoformat(data)

                return last_scan_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_scan = _parse_last_scan(d.pop("last_scan"))

        licence_warnings = []
        _licence_warnings = d.pop("licence_warnings")
        for licence_warnings_item_data in _licence_warnings:
            licence_warnings_item = SbomSummaryLicenceWarningsItem.from_dict(
                licence_warnings_item_data
            )

            licence_warnings.append(licence_warnings_item)

        licences = SbomSummaryLicences.from_dict(d.pop("licences"))

        packages = d.pop("packages")

        version = d.pop("version")

        vulnerabilities = SbomSummaryVulnerabilities.from_dict(d.pop("vulnerabilities"))

        sbom_summary = cls(
            components=components,
            delist_at=delist_at,
            findings=findings,
            format_=format_,
            key=key,
            last_scan=last_scan,
            licence_warnings=licence_warnings,
            licences=licences,
            packages=packages,
            version=version,
            vulnerabilities=vulnerabilities,
        )

        sbom_summary.additional_properties = d
        return sbom_summary

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
