// Runs a list of MCP checks with one Node MCP client against one Spell transport, in one process,
// and prints what the client made of each as one JSON document (tests/functional/test_mcp_clients.py).
//
//   node mcp_clients.mjs typescript-sdk|inspector '{"target": {...}, "checks": [...]}'
//
// target: {"transport": "stdio", "command", "args", "env"} or {"transport": "http"|"sse", "url", "headers"}.
// checks: {"name", "method": "tools/list"} | {"name", "method": "tools/call", "tool", "arguments"}
//         | {"name", "method": "resources/read", "uri"}.
// Each outcome is what the client gave back: {"result": …} or {"error": {"code", "message"}}.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

function failure(error) {
  // The SDK's McpError has the JSON-RPC code; the Inspector's own refusals name theirs in an envelope.
  const code = error?.code ?? error?.envelope?.code ?? null;
  return { error: { code, message: String(error?.message ?? error) } };
}

// The official TypeScript SDK's Client: one connection, every check on it in turn (tools/list
// first, which is what lets callTool check structured content against each tool's outputSchema).
async function typescriptSdk(target, checks) {
  const client = new Client({ name: "spell-tests", version: "1.0.0" });
  let transport;
  if (target.transport === "stdio") {
    transport = new StdioClientTransport({ command: target.command, args: target.args, env: target.env, stderr: "ignore" });
  } else {
    const Transport = target.transport === "sse" ? SSEClientTransport : StreamableHTTPClientTransport;
    const headers = target.headers ?? {};
    // The SSE transport opens its stream with EventSource, whose requests take headers from a fetch.
    const eventSourceInit = { fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...headers } }) };
    transport = new Transport(new URL(target.url), { requestInit: { headers }, eventSourceInit });
  }
  await client.connect(transport);
  const outcomes = {};
  for (const check of checks) {
    try {
      if (check.method === "tools/list") outcomes[check.name] = { result: await client.listTools() };
      else if (check.method === "tools/call")
        outcomes[check.name] = { result: await client.callTool({ name: check.tool, arguments: check.arguments }) };
      else outcomes[check.name] = { result: await client.readResource({ uri: check.uri }) };
    } catch (error) {
      outcomes[check.name] = failure(error);
    }
  }
  await client.close();
  return { protocol: transport.protocolVersion ?? null, outcomes };
}

// The Inspector's CLI, as `mcp-inspector --cli` runs it: one invocation (one connection, and over
// stdio one server process) per check, two at a time, each writing its result to a file of its own.
async function inspector(target, checks) {
  const { runCli } = await import("@modelcontextprotocol/inspector/clients/cli/build/index.js");
  const directory = await mkdtemp(join(tmpdir(), "spell-inspector-"));
  let connection;
  if (target.transport === "stdio") {
    const env = Object.entries(target.env).flatMap(([name, value]) => ["-e", `${name}=${value}`]);
    connection = [...env, target.command, ...target.args];
  } else {
    const headers = Object.entries(target.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
    connection = [target.url, "--transport", target.transport, ...(headers.length ? ["--header", ...headers] : [])];
  }
  const run = async (check, index) => {
    const output = join(directory, `${index}.json`);
    const method = ["--method", check.method];
    if (check.method === "tools/call") method.push("--tool-name", check.tool, "--tool-args-json", JSON.stringify(check.arguments));
    if (check.method === "resources/read") method.push("--uri", check.uri);
    try {
      // (A server process each, on a machine as busy as CI's: given time to start.)
      const options = ["--output", output, "--output-format", "json", "--connect-timeout", "60000"];
      await runCli(["node", "mcp-inspector", ...connection, ...method, ...options]);
    } catch (error) {
      // A tool's isError result is written, then reported as the exit code for a tool error.
      if (error?.envelope?.code !== "tool_is_error") return failure(error);
    }
    return { result: JSON.parse(await readFile(output, "utf8")) };
  };
  const results = [];
  const pending = checks.map((check, index) => [check, index]);
  const worker = async () => {
    for (let next = pending.shift(); next; next = pending.shift()) results[next[1]] = await run(...next);
  };
  await Promise.all([worker(), worker()]);
  await rm(directory, { recursive: true, force: true });
  return { protocol: null, outcomes: Object.fromEntries(checks.map((check, index) => [check.name, results[index]])) };
}

const [client, request] = process.argv.slice(2);
const { target, checks } = JSON.parse(request);
const run = { "typescript-sdk": typescriptSdk, inspector }[client];
process.stdout.write(JSON.stringify(await run(target, checks)) + "\n");
process.exit(0);
