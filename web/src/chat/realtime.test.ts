import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/errors";
import { LiveChannel, type LiveEvent } from "./channel";
import { headerProtocol, RealtimeSubscription } from "./realtime";

/** A WebSocket double: records what the client sends; the test plays the server. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.();
  }

  // -- the server's side
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }

  message(m: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(m) });
  }

  /** Accept the connection and the pending subscription. */
  accept(): string {
    this.open();
    this.message({ type: "connection_ack", connectionTimeoutMs: 300000 });
    const sub = this.sent.find((m) => m.type === "subscribe")!;
    this.message({ type: "subscribe_success", id: sub.id });
    return String(sub.id);
  }

  publish(subId: string, event: string, data: Record<string, unknown> = {}): void {
    this.message({ type: "data", id: subId, event: JSON.stringify({ event, id: 1, data }) });
  }
}

const factory = (url: string, protocols: string[]) => new FakeSocket(url, protocols) as unknown as WebSocket;
const realtime = { url: "wss://rt.example/event/realtime", host: "api.example" };
const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
});
afterEach(() => vi.useRealTimers());

describe("the AppSync Events protocol", () => {
  it("offers the protocol and the authorization header, then subscribes with the token", async () => {
    const events: unknown[] = [];
    const sub = new RealtimeSubscription(realtime, "/conversations/c1/k1", async () => "tok", {
      onEvent: (e) => events.push(e),
      onSubscribed: () => undefined,
      onRefused: () => undefined,
    }, factory);
    await flush();
    const socket = FakeSocket.all[0];
    expect(socket.url).toBe(realtime.url);
    expect(socket.protocols[0]).toBe("aws-appsync-event-ws");
    const header = socket.protocols[1].slice("header-".length);
    expect(header).not.toMatch(/[+/=]/); // base64url, unpadded
    expect(JSON.parse(atob(header.replace(/-/g, "+").replace(/_/g, "/")))).toEqual({ Authorization: "tok", host: "api.example" });
    socket.open();
    expect(socket.sent).toEqual([{ type: "connection_init" }]);
    socket.message({ type: "connection_ack", connectionTimeoutMs: 1000 });
    expect(socket.sent[1]).toMatchObject({ type: "subscribe", channel: "/conversations/c1/k1", authorization: { Authorization: "tok", host: "api.example" } });
    const id = String(socket.sent[1].id);
    socket.message({ type: "subscribe_success", id });
    socket.publish(id, "typing", { userId: "bob" });
    socket.message({ type: "data", id: "someone-else", event: "{}" });
    expect(events).toEqual([{ event: "typing", id: 1, data: { userId: "bob" } }]);
    // silence past the announced timeout is a dead connection: it is closed and made again
    socket.message({ type: "ka" });
    await vi.advanceTimersByTimeAsync(1001);
    expect(socket.readyState).toBe(3);
    await vi.advanceTimersByTimeAsync(600);
    expect(FakeSocket.all).toHaveLength(2);
    sub.close();
  });

  it("encodes non-ASCII headers as UTF-8", () => {
    const p = headerProtocol({ Authorization: "é" });
    expect(p.startsWith("header-")).toBe(true);
  });
});

describe("the live channel", () => {
  /** The channel's own events (the presence heartbeat's are tested in presence.test.ts). */
  const live = (got: LiveEvent[]) => got.filter((e) => e.name !== "presence");
  function api(channels: (string | Error)[]) {
    const calls: string[] = [];
    return {
      calls,
      liveChannel: async (id: string) => {
        calls.push(id);
        const next = channels.shift();
        if (next instanceof Error) throw next;
        return { channel: next ?? null, realtimeUrl: null };
      },
      bearer: async () => "tok",
      presence: async (id: string) => {
        calls.push(`presence ${id}`);
        return { viewers: ["me"], version: 1, heartbeatS: 30 };
      },
      leavePresence: async (id: string) => {
        calls.push(`leave ${id}`);
      },
    };
  }

  it("maps published events, and after a dropped connection resubscribes and asks for a catch-up", async () => {
    const fake = api(["/conversations/c1/k1"]);
    const got: LiveEvent[] = [];
    const channel = new LiveChannel(fake, "c1", realtime, (e) => got.push(e), factory);
    await flush();
    const id = FakeSocket.all[0].accept();
    expect(live(got)).toEqual([]); // the first subscription needs no catch-up
    FakeSocket.all[0].publish(id, "answer_chunk", { delta: "Hel" });
    expect(live(got)).toEqual([{ name: "answer_chunk", data: { delta: "Hel" } }]);
    FakeSocket.all[0].close(); // the network dropped it
    await vi.advanceTimersByTimeAsync(600);
    expect(FakeSocket.all).toHaveLength(2);
    const again = FakeSocket.all[1].accept();
    expect(live(got).at(-1)).toEqual({ name: "reset", data: { reason: "reconnected" } });
    await flush();
    expect(fake.calls.filter((c) => c.startsWith("presence"))).toHaveLength(2); // renewed after the gap
    FakeSocket.all[1].publish(again, "answer_end", { messageId: "a1" });
    expect(live(got).at(-1)?.name).toBe("answer_end");
    channel.close();
    expect(FakeSocket.all[1].sent.at(-1)).toEqual({ type: "unsubscribe", id: again });
  });

  it("on rekey leaves the old channel, subscribes to the new one and catches up; a 404 ends it", async () => {
    const fake = api(["/conversations/c1/k1", "/conversations/c1/k2", new ApiError(404, "not_found", "gone", false)]);
    const got: LiveEvent[] = [];
    new LiveChannel(fake, "c1", realtime, (e) => got.push(e), factory);
    await flush();
    const first = FakeSocket.all[0].accept();
    FakeSocket.all[0].publish(first, "rekey");
    await flush();
    expect(FakeSocket.all[0].readyState).toBe(3);
    expect(FakeSocket.all[1].accept()).toBeTruthy();
    expect(FakeSocket.all[1].sent.find((m) => m.type === "subscribe")?.channel).toBe("/conversations/c1/k2");
    expect(live(got)).toEqual([{ name: "reset", data: { reason: "rekeyed" } }]);
    // removed: the API answers 404, and the channel ends
    const second = String(FakeSocket.all[1].sent.find((m) => m.type === "subscribe")?.id);
    FakeSocket.all[1].publish(second, "rekey");
    await flush();
    expect(got.at(-1)).toEqual({ name: "revoked", data: {} });
    expect(FakeSocket.all).toHaveLength(2);
    expect(fake.calls.filter((c) => !c.includes(" "))).toEqual(["c1", "c1", "c1"]);
  });

  it("says it is viewing once subscribed, shows the newest presence only, and leaves on close", async () => {
    const fake = api(["/conversations/c1/k1"]);
    const got: LiveEvent[] = [];
    const channel = new LiveChannel(fake, "c1", realtime, (e) => got.push(e), factory);
    await flush();
    expect(fake.calls).toEqual(["c1"]); // nothing before the subscription holds
    const id = FakeSocket.all[0].accept();
    await flush();
    expect(fake.calls).toEqual(["c1", "presence c1"]);
    FakeSocket.all[0].publish(id, "presence", { viewers: ["me", "bob"], version: 5 });
    FakeSocket.all[0].publish(id, "presence", { viewers: ["me"], version: 3 }); // an older one, late
    const shown = got.filter((e) => e.name === "presence").map((e) => e.data.viewers);
    expect(shown).toEqual([["me"], ["me", "bob"]]);
    channel.close();
    expect(fake.calls.at(-1)).toBe("leave c1");
  });

  it("subscribes to nothing for a conversation that was never shared", async () => {
    const fake = api([]);
    new LiveChannel(fake, "c1", realtime, () => undefined, factory);
    await flush();
    expect(FakeSocket.all).toHaveLength(0);
  });
});
