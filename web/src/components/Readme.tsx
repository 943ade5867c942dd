"use client";

import { useEffect, useState } from "react";
import Markdown from "react-markdown";

/** The maker's README, as Markdown with no raw HTML (react-markdown never renders it), and
 * links that stay links rather than scripts. */
export function Readme({ spellKey }: { spellKey: string }) {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    fetch(`${process.env.NEXT_PUBLIC_SPELL_API_URL ?? ""}/v1/spells/${encodeURIComponent(spellKey)}/readme`, {
      credentials: "include",
    }).then((response) => (response.ok ? response.text().then(setText) : setText(null)));
  }, [spellKey]);
  if (!text) return null;
  return (
    <details className="readme">
      <summary>README</summary>
      <Markdown skipHtml urlTransform={(url) => (/^(https?:|mailto:|#|\/)/i.test(url) ? url : "")}>
        {text}
      </Markdown>
    </details>
  );
}
