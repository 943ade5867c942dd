"use client";

import { SignInForm } from "@/components/SignInForm";

export default function SignIn() {
  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <SignInForm then="/" onSignedIn={() => window.location.assign("/")} />
      <p className="hint">
        On a local platform started with <code>make serve</code>, the key is in <code>.spell/operator.key</code>.
      </p>
    </section>
  );
}
