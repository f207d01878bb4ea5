// A conversation's live channel: other members' messages, answers as they stream, typing, presence.
// Reconnects with Last-Event-ID so that nothing is missed; stops when access ends (`revoked`, 404).

import type { ApiClient } from "../api/client";
import { ApiError } from "../api/errors";

export interface LiveEvent {
  name: string;
  data: Record<string, unknown>;
}

const RETRY_MS = [500, 1000, 2000, 5000];

export class LiveChannel {
  private abort = new AbortController();
  private lastEventId: string | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly conversationId: string,
    private readonly onEvent: (e: LiveEvent) => void,
  ) {
    void this.run();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let ended = false;
    while (!this.abort.signal.aborted && !ended) {
      try {
        this.lastEventId = await this.api.live(
          this.conversationId,
          this.lastEventId,
          (events) => {
            attempt = 0;
            for (const ev of events) {
              let data: Record<string, unknown>;
              try {
                data = JSON.parse(ev.data) as Record<string, unknown>;
              } catch {
                continue;
              }
              if (ev.event === "revoked") ended = true;
              this.onEvent({ name: ev.event, data });
            }
          },
          this.abort.signal,
        );
      } catch (err) {
        if (err instanceof ApiError && !err.retryable) return; // not a member (any more): no channel
      }
      if (this.abort.signal.aborted || ended) return;
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]));
    }
  }

  close(): void {
    this.abort.abort();
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
