// The Parley API over fetch: JSON routes with retries for transient failures, and chat turns as SSE.

import { ApiError, errorFromResponse } from "./errors";
import { readSse, SseParser, type SseEvent } from "./sse";
import type {
  AttachmentInfo,
  ConversationDetail,
  ConversationPage,
  MessageEnd,
  MessageStart,
  MessageTree,
  Instructions,
  ModelCatalog,
  SearchPage,
  SendRequest,
  StreamError,
  UploadTicket,
  Usage,
} from "./types";

export interface StreamHandlers {
  onStart?(start: MessageStart): void;
  /** All deltas of one network read, joined: one repaint can show them together. */
  onDelta?(text: string, arrivedAt: number): void;
  /** Aborting stops reading (the server still finishes and saves the answer). */
  signal?: AbortSignal;
}

export type StreamOutcome =
  | { kind: "end"; end: MessageEnd }
  | { kind: "error"; error: StreamError }
  /** The connection ended without a final event; the server keeps generating and saves the answer. */
  | { kind: "disconnected"; messageId: string | null; lastEventId: string | null };

export interface ClientOptions {
  baseUrl: string;
  /** The bearer token to send now (may refresh it first); null when signed out. */
  token(): Promise<string | null>;
  /** A 401 came back: the session is no longer good. */
  onUnauthorized?(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function retryable(err: unknown): boolean {
  if (err instanceof ApiError) return err.retryable && !err.rateLimited;
  return err instanceof TypeError; // fetch's network failure
}

/** Run `fn`, again after a short backoff while it fails with a transient error (never a rate limit). */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 3, baseDelayMs = 400): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i + 1 >= attempts || !retryable(err)) throw err;
      const hinted = err instanceof ApiError && err.retryAfterS != null ? err.retryAfterS * 1000 : 0;
      await sleep(Math.min(Math.max(hinted, baseDelayMs * 3 ** i), 8000));
    }
  }
}

function newKey(): string {
  return typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** S3 answers a refused upload with an XML `<Error><Code>…</Code><Message>…</Message></Error>`. */
async function storageError(res: Response): Promise<ApiError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // no body: the status says enough
  }
  const tag = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1]?.trim();
  const code = tag("Code") ?? `http_${res.status}`;
  const detail = tag("Message");
  const expired = code === "AccessDenied" && /expired/i.test(detail ?? "");
  const message = expired
    ? "The upload link expired. Remove the file and attach it again."
    : `The file storage refused the upload${detail ? `: ${detail}` : ` (${res.status})`}.`;
  return new ApiError(res.status, code, message, res.status >= 500 || res.status === 429);
}

export class ApiClient {
  constructor(private readonly opts: ClientOptions) {}

  private url(path: string): string {
    return `${this.opts.baseUrl}${path}`;
  }

  private async headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const token = await this.opts.token();
    return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    const init: RequestInit = {
      method,
      signal,
      headers: await this.headers(body === undefined ? extra : { "content-type": "application/json", ...extra }),
      body: body === undefined ? undefined : JSON.stringify(body),
    };
    const res = await fetch(this.url(path), init);
    if (res.status === 401) this.opts.onUnauthorized?.();
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  /** A JSON route; reads (and writes that are safe to repeat) retry transient failures. */
  async json<T>(method: string, path: string, body?: unknown, retry = method === "GET"): Promise<T> {
    const run = async () => (await this.send(method, path, body)).json() as Promise<T>;
    return retry ? withRetry(run) : run();
  }

  devToken(userId: string, tier: string): Promise<{ token: string; userId?: string; tier?: string; expiresIn?: number }> {
    return this.json("POST", "/dev/token", { userId, tier });
  }

  search(q: string, cursor?: string | null): Promise<SearchPage> {
    const params = new URLSearchParams({ q, limit: "20" });
    if (cursor) params.set("cursor", cursor);
    return this.json("GET", `/search?${params}`);
  }

  getInstructions(): Promise<Instructions> {
    return this.json("GET", "/me/instructions");
  }

  putInstructions(i: Instructions): Promise<Instructions> {
    return this.json("PUT", "/me/instructions", { aboutMe: i.aboutMe, howToRespond: i.howToRespond }, true);
  }

  deleteMemory(memoryId: string): Promise<{ success: boolean }> {
    return this.json("DELETE", `/memories/${encodeURIComponent(memoryId)}`, undefined, true);
  }

  /** The caller's own conversations (`shared=false`): the sidebar lists those shared with them apart. */
  listConversations(opts: { cursor?: string | null; archived?: boolean; limit?: number } = {}): Promise<ConversationPage> {
    const q = new URLSearchParams({ limit: String(opts.limit ?? 30), shared: "false" });
    if (opts.cursor) q.set("cursor", opts.cursor);
    if (opts.archived) q.set("archived", "true");
    return this.json("GET", `/conversations?${q}`);
  }

  createConversation(body: { title?: string; model?: string }): Promise<{ conversationId: string; createdAt: number }> {
    return this.json("POST", "/conversations", body);
  }

  getConversation(id: string): Promise<ConversationDetail> {
    return this.json("GET", `/conversations/${encodeURIComponent(id)}`);
  }

  getTree(id: string): Promise<MessageTree> {
    return this.json("GET", `/conversations/${encodeURIComponent(id)}/messages`);
  }

  updateConversation(id: string, patch: { title?: string; currentMessageId?: string; archived?: boolean }): Promise<unknown> {
    // Setting a field to a value is idempotent, so retrying is safe.
    return this.json("PATCH", `/conversations/${encodeURIComponent(id)}`, patch, true);
  }

  deleteConversation(id: string): Promise<unknown> {
    return this.json("DELETE", `/conversations/${encodeURIComponent(id)}`, undefined, true);
  }

  models(): Promise<ModelCatalog> {
    return this.json("GET", "/models");
  }

  usage(): Promise<Usage> {
    return this.json("GET", "/usage");
  }

  stop(conversationId: string, messageId: string): Promise<unknown> {
    return this.json(
      "POST",
      `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/stop`,
      {},
      true,
    );
  }

  /** Declare a file to attach; 413/415/422 say why it cannot be (too large, unsupported, invalid). */
  createAttachment(body: { filename: string; contentType?: string; size: number }): Promise<UploadTicket> {
    return this.json("POST", "/attachments", body);
  }

  getAttachment(id: string): Promise<AttachmentInfo> {
    return this.json("GET", `/attachments/${encodeURIComponent(id)}`);
  }

  /** A sent image's bytes, for its thumbnail. */
  async attachmentImage(id: string): Promise<Blob> {
    return (await this.send("GET", `/attachments/${encodeURIComponent(id)}/content`)).blob();
  }

  deleteAttachment(id: string): Promise<unknown> {
    return this.json("DELETE", `/attachments/${encodeURIComponent(id)}`, undefined, true);
  }

  /**
   * POST a presigned upload form straight to the storage URL (S3: 204). No bearer token goes with
   * it: the form's signed policy is the credential, and the URL is another origin.
   */
  async uploadForm(url: string, form: FormData, signal?: AbortSignal): Promise<void> {
    const res = await fetch(url, { method: "POST", body: form, signal });
    if (!res.ok) throw await storageError(res);
  }

  /** Send a message; resolves when the answer's stream ends. */
  sendMessage(conversationId: string, body: SendRequest, h: StreamHandlers): Promise<StreamOutcome> {
    return this.stream("POST", `/conversations/${encodeURIComponent(conversationId)}/messages`, body, h);
  }

  regenerate(conversationId: string, messageId: string, model: string | undefined, h: StreamHandlers): Promise<StreamOutcome> {
    const path = `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/regenerate`;
    return this.stream("POST", path, model ? { model } : {}, h);
  }

  /** A route that answers with no body (204). */
  async call(method: string, path: string, body?: unknown): Promise<void> {
    await this.send(method, path, body);
  }

  /** A keystroke in the composer: members viewing the conversation see "typing". */
  async typing(conversationId: string): Promise<void> {
    await this.send("POST", `/conversations/${encodeURIComponent(conversationId)}/typing`);
  }

  /** This page is viewing the conversation (a heartbeat): who is viewing now. */
  presence(conversationId: string): Promise<{ viewers: string[]; version: number; heartbeatS: number }> {
    return this.json("PUT", `/conversations/${encodeURIComponent(conversationId)}/presence`);
  }

  /** This page stopped viewing it; `keepalive`, so that it still goes out while the page closes. */
  async leavePresence(conversationId: string): Promise<void> {
    const path = `/conversations/${encodeURIComponent(conversationId)}/presence`;
    await fetch(this.url(path), { method: "DELETE", keepalive: true, headers: await this.headers() });
  }

  /** The bearer token to send now (the realtime protocol carries it in its own messages). */
  bearer(): Promise<string | null> {
    return this.opts.token();
  }

  /** Where to subscribe to the conversation's live channel (members only; 404 for anyone else). */
  liveChannel(conversationId: string): Promise<{ channel: string | null; realtimeUrl: string | null }> {
    return this.json("GET", `/conversations/${encodeURIComponent(conversationId)}/live/channel`);
  }

  /** The conversation's live channel (members only); resolves when it ends or `signal` aborts. */
  async live(
    conversationId: string,
    lastEventId: string | null,
    onEvents: (events: SseEvent[]) => void,
    signal: AbortSignal,
  ): Promise<string | null> {
    const path = `/conversations/${encodeURIComponent(conversationId)}/live`;
    const extra: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId) extra["last-event-id"] = lastEventId;
    const res = await this.send("GET", path, undefined, extra, signal);
    if (!res.body) return lastEventId;
    const parser = new SseParser();
    parser.lastEventId = lastEventId;
    try {
      await readSse(res.body, onEvents, parser);
    } catch (err) {
      if (!(err instanceof TypeError) && !(err instanceof DOMException)) throw err;
    }
    return parser.lastEventId;
  }

  /** Pick up a generation whose connection broke, from the last event seen. */
  resume(conversationId: string, messageId: string, lastEventId: string | null, h: StreamHandlers): Promise<StreamOutcome> {
    const path = `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/events`;
    return this.stream("GET", path, undefined, h, lastEventId ? { "last-event-id": lastEventId } : {});
  }

  private async stream(
    method: string,
    path: string,
    body: unknown,
    h: StreamHandlers,
    extra: Record<string, string> = {},
  ): Promise<StreamOutcome> {
    // One idempotency key for every attempt: a retried send that did reach the server is answered
    // with what the first one answered instead of posting the message twice.
    const key = newKey();
    const res = await withRetry(() =>
      this.send(
        method,
        path,
        body,
        { accept: "text/event-stream", ...(method === "POST" ? { "idempotency-key": key } : {}), ...extra },
        h.signal,
      ),
    );
    if (!res.body) throw new ApiError(502, "no_body", "The server sent no stream", true);
    const type = res.headers.get("content-type") ?? "";
    if (!type.includes("text/event-stream")) {
      // A cached or idempotent replay may come back as a finished JSON message.
      throw new ApiError(502, "not_a_stream", `Expected an event stream, got ${type || "nothing"}`, true);
    }
    const parser = new SseParser();
    let outcome: StreamOutcome | null = null;
    let messageId: string | null = null;
    try {
      await readSse(
        res.body,
        (events) => {
          const arrivedAt = performance.now();
          let text = "";
          for (const ev of events) {
            if (outcome) break;
            let data: Record<string, unknown>;
            try {
              data = JSON.parse(ev.data) as Record<string, unknown>;
            } catch {
              continue; // a malformed event is skipped, not fatal
            }
            if (ev.event === "content_chunk") {
              text += typeof data.delta === "string" ? data.delta : "";
              continue;
            }
            if (text) {
              h.onDelta?.(text, arrivedAt);
              text = "";
            }
            if (ev.event === "message_start") {
              messageId = String(data.messageId ?? "");
              h.onStart?.(data as unknown as MessageStart);
            } else if (ev.event === "message_end") {
              outcome = { kind: "end", end: data as unknown as MessageEnd };
            } else if (ev.event === "error") {
              outcome = {
                kind: "error",
                error: {
                  code: String(data.code ?? "error"),
                  message: String(data.message ?? "The answer failed"),
                  retryable: Boolean(data.retryable),
                },
              };
            }
          }
          if (text) h.onDelta?.(text, arrivedAt);
        },
        parser,
      );
    } catch (err) {
      if (!(err instanceof TypeError) && !(err instanceof DOMException)) throw err;
    }
    return outcome ?? { kind: "disconnected", messageId, lastEventId: parser.lastEventId };
  }
}
