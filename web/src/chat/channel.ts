// A conversation's live channel: other members' messages, answers as they stream, typing, presence.
// One implementation for both modes: it subscribes over the AppSync Events protocol (realtime.ts) to
// the channel the API names (`GET /conversations/{id}/live/channel`, whose key changes when a member
// goes). AppSync keeps no history, so after any gap (a dropped connection, a `rekey`) it emits
// `reset`: the reader reloads the conversation and follows a still generating answer from the API.
// A 404 from the API, or a refused subscription, ends it (`revoked`: no longer a member).
// While subscribed it also says the page is viewing (presence.ts); `presence` events reach the
// reader newest version first and never older.

import type { ApiClient } from "../api/client";
import { ApiError } from "../api/errors";
import type { RealtimeConfig } from "../config";
import { type PageVisibility, PresenceBeat, type PresenceSet } from "./presence";
import { RealtimeSubscription, type SocketFactory } from "./realtime";

export interface LiveEvent {
  name: string;
  data: Record<string, unknown>;
}

type ChannelApi = Pick<ApiClient, "liveChannel" | "bearer" | "presence" | "leavePresence">;

const RETRY_MS = [1000, 2000, 5000, 10000];

export class LiveChannel {
  private subscription: RealtimeSubscription | null = null;
  private closed = false;
  private attempt = 0;
  private refused: string | null = null;
  private beat: PresenceBeat | null = null;
  private presenceVersion = -1;

  constructor(
    private readonly api: ChannelApi,
    private readonly conversationId: string,
    private readonly realtime: RealtimeConfig,
    private readonly onEvent: (e: LiveEvent) => void,
    private readonly factory?: SocketFactory,
    private readonly page?: PageVisibility,
  ) {
    void this.open(false);
  }

  /** Find the current channel and subscribe to it; `gap`: events may have been missed before it. */
  private async open(gap: boolean): Promise<void> {
    let found: { channel: string | null; realtimeUrl: string | null };
    try {
      found = await this.api.liveChannel(this.conversationId);
    } catch (err) {
      if (this.closed) return;
      if (err instanceof ApiError && !err.retryable) return this.end(); // not a member (any more)
      setTimeout(() => void this.open(gap), RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)]);
      return;
    }
    if (this.closed || !found.channel) return; // never shared: nothing is published for it
    const target = { url: found.realtimeUrl || this.realtime.url, host: this.realtime.host };
    this.subscription = new RealtimeSubscription(
      target,
      found.channel,
      () => this.api.bearer(),
      {
        onSubscribed: (again) => {
          this.attempt = 0;
          if (gap || again) this.onEvent({ name: "reset", data: { reason: again ? "reconnected" : "rekeyed" } });
          gap = false;
          if (this.beat) this.beat.now(); // a gap: who is viewing may have changed meanwhile
          else this.beat = new PresenceBeat(this.api, this.conversationId, (set) => this.presence(set), this.page);
        },
        onEvent: (raw) => this.receive(raw),
        // Refused: the key moved on (look again) or access ended (the API says 404 then); the same
        // channel refused twice is the end (a token the service keeps refusing).
        onRefused: () => {
          if (this.refused === found.channel) return this.end();
          this.refused = found.channel;
          this.rekey();
        },
      },
      this.factory,
    );
  }

  private receive(raw: unknown): void {
    if (!raw || typeof raw !== "object") return;
    const { event, data } = raw as { event?: unknown; data?: unknown };
    if (typeof event !== "string") return;
    if (event === "rekey") return this.rekey();
    const fields = data && typeof data === "object" ? (data as Record<string, unknown>) : {};
    if (event === "presence") {
      const viewers = Array.isArray(fields.viewers) ? fields.viewers.map(String) : [];
      return this.presence({ viewers, version: Number(fields.version ?? 0) });
    }
    this.onEvent({ name: event, data: fields });
  }

  /** Publications may arrive out of order (several functions publish): the newest set wins. */
  private presence(set: PresenceSet): void {
    if (set.version < this.presenceVersion) return;
    this.presenceVersion = set.version;
    this.onEvent({ name: "presence", data: { viewers: set.viewers, version: set.version } });
  }

  /** The channel's key changed: nothing more comes on this one; ask the API for the new one. */
  private rekey(): void {
    this.subscription?.close();
    this.subscription = null;
    if (!this.closed) void this.open(true);
  }

  private end(): void {
    this.beat?.stop(true);
    this.close();
    this.onEvent({ name: "revoked", data: {} });
  }

  close(): void {
    this.closed = true;
    this.beat?.stop();
    this.beat = null;
    this.subscription?.close();
    this.subscription = null;
  }
}

/** At most one "typing" request per interval while the person keeps typing. */
export function typingNotifier(send: () => Promise<void>, intervalMs = 2000): () => void {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    send().catch(() => undefined); // a lost typing hint is harmless
  };
}
