// API errors as the client sees them, and the words a person is shown for each.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;
  /** Seconds until a rate limit resets (Retry-After, or the x-ratelimit-reset-* headers). */
  readonly retryAfterS: number | null;
  /** The request limit named by `x-ratelimit-limit-requests`, when the server sent it. */
  limit: number | null = null;

  constructor(status: number, code: string, message: string, retryable: boolean, retryAfterS: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryable = retryable;
    this.retryAfterS = retryAfterS;
  }

  get rateLimited(): boolean {
    return this.status === 429 || this.code === "rate_limited";
  }
}

/** Seconds from a Retry-After value (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.ceil(Number(s));
  const when = Date.parse(s);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - now) / 1000));
}

/**
 * Seconds from an `x-ratelimit-reset-*` header: OpenAI-style durations ("1m30s", "6ms"),
 * plain seconds, or an epoch timestamp in seconds or milliseconds.
 */
export function parseResetHeader(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    if (n > 1e12) return Math.max(0, Math.ceil((n - now) / 1000));
    if (n > 1e9) return Math.max(0, Math.ceil(n - now / 1000));
    return Math.ceil(n);
  }
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(s);
  if (!m || !m[0]) return null;
  const secs = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 1000;
  return Math.ceil(secs);
}

/** "3 min 20 s", "45 s", "1 h 5 min": how long until something resets (`coarse`: whole minutes). */
export function formatDuration(seconds: number, coarse = false): string {
  let s = Math.max(0, Math.ceil(seconds));
  if (coarse && s >= 60) s = Math.ceil(s / 60) * 60;
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  return rest ? `${m} min ${rest} s` : `${m} min`;
}

/** An `ApiError` from a failed response whose body is `{code, message, retryable}` (or anything else). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `Request failed (${res.status})`;
  let retryable = res.status === 429 || res.status === 503 || res.status === 502 || res.status === 504;
  try {
    const body = (await res.json()) as Record<string, unknown>;
    if (typeof body.code === "string") code = body.code;
    if (typeof body.message === "string") message = body.message;
    else if (typeof body.detail === "string") message = body.detail;
    if (typeof body.retryable === "boolean") retryable = body.retryable;
  } catch {
    // not JSON: keep the status line
  }
  const retryAfter =
    parseRetryAfter(res.headers.get("retry-after")) ??
    parseResetHeader(res.headers.get("x-ratelimit-reset-requests")) ??
    parseResetHeader(res.headers.get("x-ratelimit-reset-tokens"));
  const err = new ApiError(res.status, code, message, retryable, retryAfter);
  const limit = Number(res.headers.get("x-ratelimit-limit-requests") ?? Number.NaN);
  if (Number.isFinite(limit) && limit > 0) err.limit = limit;
  return err;
}

/** A rate limit in plain words (the server's own message names a time that goes stale on screen). */
export function rateLimitText(err: ApiError): string {
  if (err.code === "rate_limited" || err.status === 429) {
    return err.limit ? `You have reached your limit of ${err.limit} messages for now.` : "You have reached your message limit for now.";
  }
  return err.message;
}

/** What to tell a person about an error (rate limits name the time until reset). */
export function describeError(err: unknown, remainingS?: number | null): string {
  if (err instanceof ApiError) {
    if (err.rateLimited) {
      const wait = remainingS ?? err.retryAfterS;
      const base = rateLimitText(err);
      return wait != null && wait > 0 ? `${base} You can send again in ${formatDuration(wait)}.` : base;
    }
    if (err.status === 401) return "Your session has expired. Please sign in again.";
    if (err.status === 404) return "That conversation no longer exists.";
    if (err.code === "content_blocked") return err.message || "This message was blocked by the content policy.";
    return err.message || `Something went wrong (${err.code}).`;
  }
  if (err instanceof TypeError) return "Cannot reach the server. Check your connection.";
  return err instanceof Error ? err.message : String(err);
}
