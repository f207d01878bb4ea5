// "Viewing now", the same in both modes: nothing can count AppSync Events' subscribers, so the page
// says it is viewing (`PUT /conversations/{id}/presence`) at once, then every `heartbeatS` while it
// is visible, and that it stopped (`DELETE`) when hidden or closed. The server publishes the set on
// the live channel whenever it changes; a page that stops renewing (a closed laptop) drops out
// after 75 s (docs/sharing.md, "Presence").

export interface PresenceApi {
  presence(conversationId: string): Promise<{ viewers: string[]; version: number; heartbeatS: number }>;
  leavePresence(conversationId: string): Promise<void>;
}

export interface PresenceSet {
  viewers: string[];
  version: number;
}

/** The page's environment, replaceable in tests. */
export interface PageVisibility {
  visible(): boolean;
  onChange(listener: () => void): () => void;
}

const browserPage: PageVisibility = {
  visible: () => typeof document === "undefined" || document.visibilityState !== "hidden",
  onChange(listener) {
    if (typeof document === "undefined") return () => undefined;
    document.addEventListener("visibilitychange", listener);
    window.addEventListener("pagehide", listener);
    return () => {
      document.removeEventListener("visibilitychange", listener);
      window.removeEventListener("pagehide", listener);
    };
  },
};

const DEFAULT_HEARTBEAT_S = 30;

export class PresenceBeat {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private here = false;
  private stopped = false;
  private readonly unlisten: () => void;

  constructor(
    private readonly api: PresenceApi,
    private readonly conversationId: string,
    private readonly onSet: (set: PresenceSet) => void,
    private readonly page: PageVisibility = browserPage,
  ) {
    this.unlisten = page.onChange(() => this.changed());
    this.changed();
  }

  private changed(): void {
    if (this.stopped) return;
    if (this.page.visible()) {
      if (!this.here) void this.beat();
    } else if (this.here) {
      this.leave();
    }
  }

  private async beat(): Promise<void> {
    this.here = true;
    this.clear();
    let next = DEFAULT_HEARTBEAT_S;
    try {
      const now = await this.api.presence(this.conversationId);
      next = now.heartbeatS || DEFAULT_HEARTBEAT_S;
      if (!this.stopped) this.onSet({ viewers: now.viewers, version: now.version });
    } catch {
      // a lost heartbeat is harmless: the next one renews it (a 404 ends the channel elsewhere)
    }
    if (!this.stopped && this.here) this.timer = setTimeout(() => void this.beat(), next * 1000);
  }

  private leave(): void {
    this.here = false;
    this.clear();
    this.api.leavePresence(this.conversationId).catch(() => undefined); // else it lapses after 75 s
  }

  private clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Renew now (after a gap in the channel, whose presence events were missed). */
  now(): void {
    if (!this.stopped && this.page.visible()) void this.beat();
  }

  /** The page left the conversation: say so (unless `quietly`: access already ended). */
  stop(quietly = false): void {
    if (this.stopped) return;
    if (this.here && !quietly) this.leave();
    this.stopped = true;
    this.clear();
    this.unlisten();
  }
}
