// Cognito hosted UI with the OAuth 2.0 authorization-code flow and PKCE (no client secret in a browser).

import type { CognitoConfig } from "../config";
import { expiryOf, jwtClaims, type Session } from "./session";

const PENDING = "parley.pkce";

function domainUrl(c: CognitoConfig): string {
  const d = c.domain.replace(/\/+$/, "");
  return /^https?:\/\//.test(d) ? d : `https://${d}`;
}

function base64Url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(bytes = 32): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** Send the browser to the hosted UI; it comes back to `redirectUri` with `?code=&state=`. */
export async function startSignIn(c: CognitoConfig, returnTo: string): Promise<void> {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const q = new URLSearchParams({
    response_type: "code",
    client_id: c.clientId,
    redirect_uri: c.redirectUri,
    scope: "openid email profile",
    state,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`${domainUrl(c)}/oauth2/authorize?${q}`);
}

function sessionFromTokens(body: Record<string, unknown>, previousRefresh?: string): Session {
  const idToken = String(body.id_token ?? "");
  if (!idToken) throw new Error("Cognito returned no ID token");
  const claims = jwtClaims(idToken);
  const groups = Array.isArray(claims["cognito:groups"]) ? (claims["cognito:groups"] as string[]) : [];
  const tier = typeof claims["custom:tier"] === "string" ? String(claims["custom:tier"]) : groups.includes("plus") ? "plus" : "free";
  const name = claims.email ?? claims["cognito:username"] ?? claims.sub ?? "you";
  const expiresIn = typeof body.expires_in === "number" ? body.expires_in * 1000 : 3600_000;
  return {
    token: idToken,
    userId: String(name),
    tier,
    mode: "aws",
    expiresAt: expiryOf(idToken, expiresIn),
    refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : previousRefresh,
  };
}

async function tokenRequest(c: CognitoConfig, form: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(`${domainUrl(c)}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  if (!res.ok) throw new Error(`Sign-in failed (${res.status})`);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * If this page load is the hosted UI's redirect, exchange the code for tokens and clean the URL.
 * Returns the session and where to go next, or null when the URL holds no sign-in response.
 */
export async function completeSignIn(c: CognitoConfig): Promise<{ session: Session; returnTo: string } | null> {
  const url = new URL(location.href);
  const code = url.searchParams.get("code");
  const error = url.searchParams.get("error");
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? "null") as
    | { verifier: string; state: string; returnTo: string }
    | null;
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", url.pathname + url.hash);
  if (error) throw new Error(url.searchParams.get("error_description") ?? error);
  if (!pending || pending.state !== url.searchParams.get("state")) throw new Error("Sign-in response did not match (state)");
  const body = await tokenRequest(c, {
    grant_type: "authorization_code",
    client_id: c.clientId,
    code: code ?? "",
    redirect_uri: c.redirectUri,
    code_verifier: pending.verifier,
  });
  return { session: sessionFromTokens(body), returnTo: pending.returnTo };
}

export async function refresh(c: CognitoConfig, s: Session): Promise<Session> {
  if (!s.refreshToken) throw new Error("no refresh token");
  const body = await tokenRequest(c, { grant_type: "refresh_token", client_id: c.clientId, refresh_token: s.refreshToken });
  return sessionFromTokens(body, s.refreshToken);
}

export function signOutUrl(c: CognitoConfig): string {
  const q = new URLSearchParams({ client_id: c.clientId, logout_uri: c.redirectUri });
  return `${domainUrl(c)}/logout?${q}`;
}
