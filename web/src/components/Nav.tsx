"use client";

import Link from "next/link";
import { useEffect, useState } from "react";

import { api } from "@/api/client";

export function Nav() {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    // Signed in in this browser: the session's CSRF cookie is there (asking otherwise is a 401).
    if (!document.cookie.includes("spell_csrf=")) return;
    api.GET("/v1/users/me").then(({ data }) => setName(data?.name ?? null));
  }, []);
  async function signOut() {
    await api.POST("/v1/auth/logout");
    window.location.assign("/signin/");
  }
  return (
    <header>
      <nav aria-label="Main">
        <Link href="/" className="brand">
          Spell
        </Link>
        <Link href="/">Catalog</Link>
        <Link href="/account/">Account</Link>
        <Link href="/keys/">API keys</Link>
        <Link href="/maker/">My spells</Link>
        <Link href="/connect/">Connect an agent</Link>
        {name ? (
          <button type="button" onClick={signOut}>
            Sign out ({name})
          </button>
        ) : (
          <Link href="/signin/">Sign in</Link>
        )}
      </nav>
    </header>
  );
}
