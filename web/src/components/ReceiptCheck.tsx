"use client";

import canonicalize from "canonicalize";
import { useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";

type Receipt = components["schemas"]["Receipt"];

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

/** Checks a cast's receipt in this browser: its Ed25519 signature over the RFC 8785 canonical
 * JSON of the statement, against the platform's published keys (WebCrypto; nothing is sent). */
async function verify(receipt: Receipt): Promise<string> {
  const { data } = await api.GET("/v1/.well-known/spell-keys");
  const keyId = String(receipt.receipt.key_id ?? "");
  const published = data?.keys.find((key) => key.key_id === keyId && key.algorithm === "Ed25519");
  if (!published) return `No published key ${keyId}: the receipt cannot be checked.`;
  const key = await crypto.subtle.importKey("raw", fromBase64Url(published.public_key), { name: "Ed25519" }, false, [
    "verify",
  ]);
  const statement = new TextEncoder().encode(canonicalize(receipt.receipt) ?? "");
  const valid = await crypto.subtle.verify({ name: "Ed25519" }, key, fromBase64Url(receipt.signature), statement);
  return valid
    ? `Verified: signed by the platform's key ${keyId}.`
    : "Does not verify: the receipt was changed, or not signed by this platform.";
}

export function ReceiptCheck({ receipt }: { receipt: Receipt }) {
  const [verdict, setVerdict] = useState<string | null>(null);
  return (
    <p>
      <button type="button" onClick={() => verify(receipt).then(setVerdict, (e: Error) => setVerdict(e.message))}>
        Verify receipt
      </button>{" "}
      {verdict && <span role="status">{verdict}</span>}
    </p>
  );
}
