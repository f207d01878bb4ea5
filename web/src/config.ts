// Deploy-time settings. The CDK app writes /config.json next to index.html; `parley dev` has none,
// which means local mode with the API on the same origin.

export interface CognitoConfig {
  domain: string;
  clientId: string;
  region: string;
  userPoolId: string;
  redirectUri: string;
}

/** Where the live channel's realtime endpoint is (the AppSync Events WebSocket protocol, both modes). */
export interface RealtimeConfig {
  /** `wss://<realtime domain>/event/realtime` (AWS) or this server's `/event/realtime` (local). */
  url: string;
  /** The API's HTTP domain, which the protocol's authorization header names. */
  host: string;
}

export interface AppConfig {
  apiBaseUrl: string;
  mode: "aws" | "local";
  cognito: CognitoConfig | null;
  realtime: RealtimeConfig;
}

/** The current origin's realtime endpoint: what local mode serves, and the fallback. */
export function sameOrigin(): RealtimeConfig {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return { url: `${scheme}://${location.host}/event/realtime`, host: location.host };
}

const LOCAL = (): AppConfig => ({ apiBaseUrl: "", mode: "local", cognito: null, realtime: sameOrigin() });

/** Normalise what /config.json holds (or lacks) into an `AppConfig`. */
export function parseConfig(raw: unknown): AppConfig {
  if (!raw || typeof raw !== "object") return LOCAL();
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
  const live = r.live as Record<string, unknown> | undefined;
  const fallback = sameOrigin();
  const realtime =
    live && typeof live.realtimeUrl === "string" && live.realtimeUrl
      ? { url: live.realtimeUrl, host: typeof live.host === "string" && live.host ? live.host : fallback.host }
      : fallback;
  return { apiBaseUrl, mode, cognito, realtime };
}

export async function loadConfig(): Promise<AppConfig> {
  try {
    // Next to index.html, wherever the client is hosted.
    const res = await fetch(new URL("config.json", document.baseURI), { cache: "no-store" });
    const type = res.headers.get("content-type") ?? "";
    // A server with an SPA fallback answers index.html for missing files: that is "no config".
    if (!res.ok || !type.includes("json")) return LOCAL();
    return parseConfig(await res.json());
  } catch {
    return LOCAL();
  }
}
