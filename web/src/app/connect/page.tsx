"use client";

import { useEffect, useState } from "react";

type Way = { client: string; oauth: { how: string; text: string }; key: { how: string; text: string } };

function ways(origin: string): Way[] {
  const mcp = `${origin}/mcp`;
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  const withKey = { url: mcp, headers: { Authorization: "Bearer YOUR_API_KEY" } };
  return [
    {
      client: "Claude Code",
      oauth: {
        how: "Run in a terminal, then /mcp in a session and choose Authenticate:",
        text: `claude mcp add --transport http spell ${mcp}`,
      },
      key: {
        how: "Or with a key:",
        text: `claude mcp add --transport http spell ${mcp} --header "Authorization: Bearer YOUR_API_KEY"`,
      },
    },
    {
      client: "Claude Desktop",
      oauth: {
        how: "Settings → Connectors → Add custom connector, with this URL (the platform must be reachable from the internet):",
        text: mcp,
      },
      key: {
        how: "Or with a key, in claude_desktop_config.json (it starts a local relay to this server):",
        text: json({
          mcpServers: { spell: { command: "spell", args: ["mcp", "--url", origin], env: { SPELL_API_KEY: "YOUR_API_KEY" } } },
        }),
      },
    },
    {
      client: "VS Code",
      oauth: { how: "In .vscode/mcp.json (VS Code asks you to sign in):", text: json({ servers: { spell: { type: "http", url: mcp } } }) },
      key: { how: "Or with a key:", text: json({ servers: { spell: { type: "http", ...withKey } } }) },
    },
    {
      client: "Cursor",
      oauth: { how: "In ~/.cursor/mcp.json (Cursor asks you to sign in):", text: json({ mcpServers: { spell: { url: mcp } } }) },
      key: { how: "Or with a key:", text: json({ mcpServers: { spell: withKey } }) },
    },
  ];
}

export default function Connect() {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(process.env.NEXT_PUBLIC_SPELL_API_URL ?? window.location.origin), []);
  return (
    <section>
      <h1>Connect an agent</h1>
      <p>
        Each spell is one MCP tool. Give your agent the address below: it sends you here to sign it in, and you choose
        what it may do, what it may spend a day and until when. It then appears on the <a href="/keys/">API keys</a>{" "}
        page, where you can revoke it. Agents that cannot sign in take a key made there instead (the{" "}
        <code>cast</code> and <code>read</code> scopes are enough), in place of YOUR_API_KEY.
      </p>
      {origin &&
        ways(origin).map((way) => (
          <article key={way.client}>
            <h2>{way.client}</h2>
            <p>{way.oauth.how}</p>
            <pre tabIndex={0}>{way.oauth.text}</pre>
            <p>{way.key.how}</p>
            <pre tabIndex={0}>{way.key.text}</pre>
          </article>
        ))}
    </section>
  );
}
