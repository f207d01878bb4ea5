// Server-Sent Events over fetch: `EventSource` cannot POST or send an Authorization header, so the
// client reads the response body itself and parses the text/event-stream format incrementally.

export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/** Incremental parser for the event-stream format (WHATWG HTML, "server-sent events"). */
export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private id: string | null = null;
  /** The last `id:` seen, kept across events (what `Last-Event-ID` would resume from). */
  lastEventId: string | null = null;
  /** A `\r` ended the previous chunk: a `\n` starting the next one belongs to the same line break. */
  private pendingCr = false;

  /** Feed decoded text; returns the events completed by it. */
  feed(text: string): SseEvent[] {
    if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null; // comment, e.g. `: ping`
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.event = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        break;
      default:
        break; // `retry` and unknown fields are ignored: the client does its own reconnection
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    if (this.id !== null) this.lastEventId = this.id;
    const hasData = this.data.length > 0;
    const ev: SseEvent = { event: this.event || "message", data: this.data.join("\n"), id: this.id };
    this.event = "";
    this.data = [];
    this.id = null;
    return hasData ? ev : null;
  }
}

/**
 * Read an event stream to its end, calling `onEvents` with each batch of events parsed from one
 * network chunk (a batch, so a consumer can apply many small deltas with one repaint).
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvents: (events: SseEvent[]) => void,
  parser: SseParser = new SseParser(),
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const events = parser.feed(decoder.decode(value, { stream: true }));
      if (events.length) onEvents(events);
    }
    const tail = parser.feed(decoder.decode() + "\n\n");
    if (tail.length) onEvents(tail);
  } finally {
    reader.releaseLock();
  }
}
