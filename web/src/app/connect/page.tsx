"use client";

import { useEffect, useState } from "react";

function configs(origin: string): { client: string; how: string; text: string }[] {
  const mcp = `${origin}/mcp`;
  const server = { url: mcp, headers: { Authorization: "Bearer YOUR_API_KEY" } };
  return [
    {
      client: "Claude Code",
      how: "Run in a terminal:",
      text: `claude mcp add --transport http spell ${mcp} --header "Authorization: Bearer YOUR_API_KEY"`,
    },
    {
      client: "Claude Desktop",
      how: "In claude_desktop_config.json (it starts a local relay to this server):",
      text: JSON.stringify(
        { mcpServers: { spell: { command: "spell", args: ["mcp", "--url", origin], env: { SPELL_API_KEY: "YOUR_API_KEY" } } } },
        null,
        2,
      ),
    },
    {
      client: "VS Code",
      how: "In .vscode/mcp.json:",
      text: JSON.stringify({ servers: { spell: { type: "http", ...server } } }, null, 2),
    },
    { client: "Cursor", how: "In ~/.cursor/mcp.json:", text: JSON.stringify({ mcpServers: { spell: server } }, null, 2) },
  ];
}

export default function Connect() {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(process.env.NEXT_PUBLIC_SPELL_API_URL ?? window.location.origin), []);
  return (
    <section>
      <h1>Connect an agent</h1>
      <p>
        Each spell is one MCP tool. Create a key for the agent on the <a href="/keys/">API keys</a> page (the
        <code> cast</code> and <code>read</code> scopes are enough), then put it in place of YOUR_API_KEY.
      </p>
      {origin &&
        configs(origin).map((config) => (
          <article key={config.client}>
            <h2>{config.client}</h2>
            <p>{config.how}</p>
            <pre tabIndex={0}>{config.text}</pre>
          </article>
        ))}
    </section>
  );
}
