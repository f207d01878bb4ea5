import { describe, expect, it } from "vitest";
import { SseParser, readSse, type SseEvent } from "./sse";

describe("SseParser", () => {
  it("parses events, ids, comments and multi-line data", () => {
    const p = new SseParser();
    const out = p.feed(
      ': ping\n\nid: 1\nevent: message_start\ndata: {"messageId":"m"}\n\nid: 2\nevent: content_chunk\ndata: a\ndata: b\n\n',
    );
    expect(out).toEqual([
      { event: "message_start", data: '{"messageId":"m"}', id: "1" },
      { event: "content_chunk", data: "a\nb", id: "2" },
    ]);
    expect(p.lastEventId).toBe("2");
  });

  it("joins events split anywhere across chunks, CRLF included", () => {
    const text = 'id: 7\r\nevent: content_chunk\r\ndata: {"delta":"héllo"}\r\n\r\nevent: message_end\rdata: {}\r\r';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const got = [...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))];
      expect(got.map((e) => e.event)).toEqual(["content_chunk", "message_end"]);
      expect(JSON.parse(got[0].data)).toEqual({ delta: "héllo" });
    }
  });

  it("ignores events without data and keeps a field value's inner colons", () => {
    const p = new SseParser();
    expect(p.feed("event: x\n\n")).toEqual([]);
    expect(p.feed("data: a: b\n\n")).toEqual([{ event: "message", data: "a: b", id: null }]);
  });
});

describe("readSse", () => {
  it("decodes multi-byte characters split between network chunks", async () => {
    const bytes = new TextEncoder().encode('event: content_chunk\ndata: {"delta":"€uro"}\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte euro sign
        c.enqueue(bytes.slice(0, cut));
        c.enqueue(bytes.slice(cut));
        c.close();
      },
    });
    const seen: SseEvent[] = [];
    await readSse(stream, (evs) => seen.push(...evs));
    expect(seen.map((e) => JSON.parse(e.data).delta)).toEqual(["€uro"]);
  });

  it("dispatches a final event that lacks its blank line", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("event: message_end\ndata: {}"));
        c.close();
      },
    });
    const seen: SseEvent[] = [];
    await readSse(stream, (evs) => seen.push(...evs));
    expect(seen.map((e) => e.event)).toEqual(["message_end"]);
  });
});
