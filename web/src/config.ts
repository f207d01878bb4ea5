// Deploy-time settings. The CDK app writes /config.json next to index.html; `parley dev` has none,
// which means local mode with the API on the same origin.

export interface CognitoConfig {
  domain: string;
  clientId: string;
  region: string;
  userPoolId: string;
  redirectUri: string;
}

export interface AppConfig {
  apiBaseUrl: string;
  mode: "aws" | "local";
  cognito: CognitoConfig | null;
}

const LOCAL: AppConfig = { apiBaseUrl: "", mode: "local", cognito: null };

/** Normalise what /config.json holds (or lacks) into an `AppConfig`. */
export function parseConfig(raw: unknown): AppConfig {
  if (!raw || typeof raw !== "object") return LOCAL;
  const r = raw as Record<string, unknown>;
  const apiBaseUrl = typeof r.apiBaseUrl === "string" ? r.apiBaseUrl.replace(/\/+$/, "") : "";
  // The CDK app writes the sign-in settings under `auth` (and `region` at the top level); `cognito`
  // is the older name of the same object.
  const c = (r.auth ?? r.cognito) as Record<string, unknown> | undefined;
  const cognito =
    c && typeof c.domain === "string" && typeof c.clientId === "string"
      ? {
          domain: c.domain,
          clientId: c.clientId,
          region: String(c.region ?? r.region ?? ""),
          userPoolId: String(c.userPoolId ?? ""),
          redirectUri: typeof c.redirectUri === "string" && c.redirectUri ? c.redirectUri : `${location.origin}/`,
        }
      : null;
  const mode = r.mode === "aws" && cognito ? "aws" : "local";
  return { apiBaseUrl, mode, cognito };
}

export async function loadConfig(): Promise<AppConfig> {
  try {
    // Next to index.html, wherever the client is hosted.
    const res = await fetch(new URL("config.json", document.baseURI), { cache: "no-store" });
    const type = res.headers.get("content-type") ?? "";
    // A server with an SPA fallback answers index.html for missing files: that is "no config".
    if (!res.ok || !type.includes("json")) return LOCAL;
    return parseConfig(await res.json());
  } catch {
    return LOCAL;
  }
}
