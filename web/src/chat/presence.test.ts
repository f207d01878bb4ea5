import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { type PageVisibility, PresenceBeat, type PresenceSet } from "./presence";

class FakePage implements PageVisibility {
  shown = true;
  private listeners: (() => void)[] = [];
  visible = () => this.shown;
  onChange(listener: () => void) {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
  set(shown: boolean) {
    this.shown = shown;
    for (const l of this.listeners) l();
  }
  get listening() {
    return this.listeners.length;
  }
}

function fakeApi() {
  const calls: string[] = [];
  let version = 0;
  return {
    calls,
    presence: async (id: string) => {
      calls.push(`put ${id}`);
      return { viewers: ["alice", "bob"], version: ++version, heartbeatS: 30 };
    },
    leavePresence: async (id: string) => {
      calls.push(`delete ${id}`);
    },
  };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("presence heartbeats", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("says it is viewing at once and every heartbeatS while visible, and reports who is here", async () => {
    const api = fakeApi();
    const sets: PresenceSet[] = [];
    const beat = new PresenceBeat(api, "c1", (s) => sets.push(s), new FakePage());
    await flush();
    expect(api.calls).toEqual(["put c1"]);
    expect(sets).toEqual([{ viewers: ["alice", "bob"], version: 1 }]);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(api.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(api.calls).toEqual(["put c1", "put c1"]);
    beat.stop();
    expect(api.calls.at(-1)).toBe("delete c1");
    await vi.advanceTimersByTimeAsync(120_000);
    expect(api.calls).toHaveLength(3); // nothing after it stopped
  });

  it("leaves when the page is hidden and comes back when it is shown", async () => {
    const api = fakeApi();
    const page = new FakePage();
    const beat = new PresenceBeat(api, "c1", () => undefined, page);
    await flush();
    page.set(false);
    expect(api.calls).toEqual(["put c1", "delete c1"]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(api.calls).toHaveLength(2); // no heartbeats while hidden
    page.set(true);
    await flush();
    expect(api.calls.at(-1)).toBe("put c1");
    beat.stop();
    expect(page.listening).toBe(0);
  });

  it("stops quietly when access ended, and keeps beating through a failed heartbeat", async () => {
    const api = fakeApi();
    let fail = true;
    const flaky = {
      ...api,
      presence: async (id: string) => {
        if (fail) {
          fail = false;
          throw new Error("network");
        }
        return api.presence(id);
      },
    };
    const beat = new PresenceBeat(flaky, "c1", () => undefined, new FakePage());
    await flush();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(api.calls).toEqual(["put c1"]); // the retry came on the next beat
    beat.stop(true);
    expect(api.calls).toEqual(["put c1"]);
  });
});
