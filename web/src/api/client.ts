// The typed client of Spell's REST API, generated from /openapi.json (src/api/schema.d.ts).
// Requests carry the browser session's cookie; every change sends its CSRF token, as the server
// requires of a cookie-authenticated request.
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

export type Problem = components["schemas"]["Problem"];

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

function cookie(name: string): string | undefined {
  return document.cookie
    .split("; ")
    .find((part) => part.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}

const csrf: Middleware = {
  onRequest({ request }) {
    const token = cookie("spell_csrf");
    if (!SAFE.has(request.method) && token) request.headers.set("X-CSRF-Token", decodeURIComponent(token));
    return request;
  },
};

export const api = createClient<paths, "application/json">({
  baseUrl: process.env.NEXT_PUBLIC_SPELL_API_URL ?? "",
  credentials: "include",
});
api.use(csrf);

/** The words of a refusal, for a person. */
export function explain(error: unknown): string {
  const problem = error as Partial<Problem> | undefined;
  if (problem?.detail) return `${problem.detail} (${problem.code})`;
  return "The server could not be reached.";
}
