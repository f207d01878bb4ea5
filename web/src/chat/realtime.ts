// One subscription over the AppSync Events real-time WebSocket protocol, the same in both modes (on
// AWS AppSync Events answers; in local mode the app serves the same protocol). The protocol, from
// "Understanding the Event API WebSocket protocol" (AWS AppSync Events Developer Guide,
// https://docs.aws.amazon.com/appsync/latest/eventapi/event-api-websocket-protocol.html):
// subprotocols `aws-appsync-event-ws` and `header-<base64url JSON of the authorization header>`
// (Lambda authorization: {Authorization, host}); `connection_init` -> `connection_ack`
// {connectionTimeoutMs}; `ka` keep-alives (silence past that timeout means a dead link); `subscribe`
// {id, channel, authorization} -> `subscribe_success` / `subscribe_error`; `data` {id, event: JSON
// string}; `unsubscribe` {id}. AppSync keeps no history: after a drop the owner of this subscription
// is told (`onDropped`, then `onSubscribed` again) and catches up from the API.

export interface RealtimeTarget {
  url: string;
  host: string;
}

export interface SubscriptionHandlers {
  /** A published event (the JSON its publisher sent). */
  onEvent(event: unknown): void;
  /** Subscribed; `again` after a drop: events of the gap were not delivered. */
  onSubscribed(again: boolean): void;
  /** Refused (not a member, an old key, a bad token): this subscription is over. */
  onRefused(): void;
}

export type SocketFactory = (url: string, protocols: string[]) => WebSocket;

const PROTOCOL = "aws-appsync-event-ws";
const RETRY_MS = [500, 1000, 2000, 5000, 10000];
/** A connection refused this many times in a row (bad tokens that refreshing did not fix) gives up. */
const MAX_CONNECTION_ERRORS = 5;

/** The `header-...` subprotocol: the authorization header as base64url JSON, without padding. */
export function headerProtocol(header: Record<string, string>): string {
  const bytes = new TextEncoder().encode(JSON.stringify(header));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `header-${btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

let counter = 0;
const newId = () => (typeof crypto !== "undefined" && crypto.randomUUID ? crypto.randomUUID() : `sub-${Date.now()}-${++counter}`);

export class RealtimeSubscription {
  private socket: WebSocket | null = null;
  private subId = "";
  private closed = false;
  private everSubscribed = false;
  private attempt = 0;
  private connectionErrors = 0;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly target: RealtimeTarget,
    private readonly channel: string,
    private readonly token: () => Promise<string | null>,
    private readonly handlers: SubscriptionHandlers,
    private readonly factory: SocketFactory = (url, protocols) => new WebSocket(url, protocols),
  ) {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const token = await this.token().catch(() => null);
    if (this.closed) return;
    if (!token) return this.refuse();
    const auth = { Authorization: token, host: this.target.host };
    let socket: WebSocket;
    try {
      socket = this.factory(this.target.url, [PROTOCOL, headerProtocol(auth)]);
    } catch {
      return this.reconnectLater();
    }
    this.socket = socket;
    this.subId = newId();
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init" }));
    socket.onmessage = (e: MessageEvent) => this.receive(socket, String(e.data), auth);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopWatchdog();
      this.reconnectLater();
    };
    socket.onerror = () => undefined; // a close follows
  }

  private receive(socket: WebSocket, text: string, auth: Record<string, string>): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (m.type) {
      case "connection_ack": {
        const timeout = typeof m.connectionTimeoutMs === "number" ? m.connectionTimeoutMs : 300_000;
        this.armWatchdog(socket, timeout);
        socket.send(JSON.stringify({ type: "subscribe", id: this.subId, channel: this.channel, authorization: auth }));
        return;
      }
      case "ka":
        this.armWatchdog(socket);
        return;
      case "connection_error":
        // The token was refused (expired?): a fresh connection asks for a fresh token, a few times.
        if (++this.connectionErrors >= MAX_CONNECTION_ERRORS) return this.refuse();
        socket.close();
        return;
      case "subscribe_success":
        if (m.id !== this.subId) return;
        this.attempt = 0;
        this.connectionErrors = 0;
        this.handlers.onSubscribed(this.everSubscribed);
        this.everSubscribed = true;
        return;
      case "subscribe_error":
        if (m.id === this.subId) this.refuse();
        return;
      case "data":
        if (m.id !== this.subId || typeof m.event !== "string") return;
        try {
          this.handlers.onEvent(JSON.parse(m.event));
        } catch {
          // a malformed event is skipped
        }
        return;
      default:
        return;
    }
  }

  private timeoutMs = 300_000;

  /** Silence longer than the server's announced timeout is a dead connection: reconnect. */
  private armWatchdog(socket: WebSocket, timeoutMs?: number): void {
    if (timeoutMs) this.timeoutMs = timeoutMs;
    this.stopWatchdog();
    this.watchdog = setTimeout(() => socket.close(), this.timeoutMs);
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private reconnectLater(): void {
    if (this.closed) return;
    const delay = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)];
    this.retry = setTimeout(() => void this.connect(), delay);
  }

  private refuse(): void {
    if (this.closed) return;
    this.close();
    this.handlers.onRefused();
  }

  /** Unsubscribe and disconnect, for good. */
  close(): void {
    this.closed = true;
    this.stopWatchdog();
    if (this.retry) clearTimeout(this.retry);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      try {
        if (socket.readyState === 1) socket.send(JSON.stringify({ type: "unsubscribe", id: this.subId }));
        socket.close();
      } catch {
        // already gone
      }
    }
  }
}
