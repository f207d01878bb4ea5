// The signed-in person, kept in localStorage so a reload stays signed in.

export interface Session {
  /** Bearer token sent to the API (a local JWT, or the Cognito ID token). */
  token: string;
  userId: string;
  tier: string;
  mode: "local" | "aws";
  /** Epoch ms after which the token is no longer accepted. */
  expiresAt: number;
  /** Cognito only: exchanges for fresh tokens without a new sign-in. */
  refreshToken?: string;
}

const KEY = "parley.session";

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (typeof s.token !== "string" || typeof s.userId !== "string") return null;
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

/** The claims of a JWT, unverified (the server verifies; the client only reads name and expiry). */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const part = token.split(".")[1] ?? "";
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function expiryOf(token: string, fallbackMs: number): number {
  const exp = jwtClaims(token).exp;
  return typeof exp === "number" ? exp * 1000 : Date.now() + fallbackMs;
}
