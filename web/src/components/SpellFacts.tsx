"use client";

import { useEffect, useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";

type Version = components["schemas"]["VersionInfo"];
type Sbom = components["schemas"]["SbomSummary"];

/** Where a spell comes from and what it is made of: who signed it, its SBOM, known
 * vulnerabilities, and its versions. */
export function SpellFacts({ spellKey }: { spellKey: string }) {
  const [latest, setLatest] = useState<Version | null>(null);
  const [sbom, setSbom] = useState<Sbom | null>(null);
  const [versions, setVersions] = useState<Version[]>([]);

  useEffect(() => {
    const path = { params: { path: { key: spellKey } } };
    api.GET("/v1/spells/{key}/provenance", path).then(({ data }) => setLatest(data ?? null));
    api.GET("/v1/spells/{key}/sbom", path).then(({ data }) => setSbom(data ?? null));
    api.GET("/v1/spells/{key}/versions", path).then(({ data }) => setVersions(data?.items ?? []));
  }, [spellKey]);

  const provenance = latest?.provenance;
  return (
    <>
      <h2>Provenance</h2>
      {provenance ? (
        <dl className="facts">
          <dt>Signed by</dt>
          <dd>{provenance.identity}</dd>
          <dt>Vouched for by</dt>
          <dd>{provenance.issuer}</dd>
          <dt>Transparency log</dt>
          <dd>Rekor entry {provenance.rekor_log_index}</dd>
          <dt>Package</dt>
          <dd>
            <code>{provenance.artifact_sha256}</code>
          </dd>
        </dl>
      ) : (
        <p>Not signed: a development spell, published on a platform in dev mode.</p>
      )}
      {sbom && (
        <>
          <h2>What it is made of</h2>
          <p>
            {sbom.packages} packages ({sbom.format}); licences:{" "}
            {Object.entries(sbom.licences)
              .map(([licence, count]) => `${licence} (${count})`)
              .join(", ") || "none declared"}
            .
          </p>
          {sbom.findings.length === 0 ? (
            <p>No known vulnerabilities{sbom.last_scan ? ` at the last scan, ${new Date(sbom.last_scan).toLocaleDateString()}` : ""}.</p>
          ) : (
            <ul>
              {sbom.findings.map((finding) => (
                <li key={String(finding.id)}>
                  {String(finding.id)} in {String(finding.package)} (score {String(finding.score)})
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {versions.length > 0 && (
        <>
          <h2>Versions</h2>
          <ul>
            {versions.map((version) => (
              <li key={version.version}>
                {version.version}
                {version.yanked ? " (yanked)" : ""} — {new Date(version.published_at).toLocaleDateString()}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
