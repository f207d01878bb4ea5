import { describe, expect, it, vi } from "vitest";

// The streaming text buffer draws per animation frame and publishes figures on `window`: give the
// node test environment both, before the modules load.
vi.hoisted(() => {
  const g = globalThis as Record<string, unknown>;
  g.window ??= globalThis;
  g.requestAnimationFrame ??= (fn: (t: number) => void) => setTimeout(() => fn(performance.now()), 0);
  g.cancelAnimationFrame ??= (h: ReturnType<typeof setTimeout>) => clearTimeout(h);
});

import type { ApiClient, StreamHandlers, StreamOutcome } from "../api/client";
import { ApiError } from "../api/errors";
import type { ConversationDetail, MessageStart } from "../api/types";
import { Thumbnails } from "./thumbs";
import { TurnController, type TurnHost } from "./turnController";
import { DraftAttachments } from "./uploads";

type Stream = (h: StreamHandlers) => Promise<StreamOutcome>;

const start = (extra: Partial<MessageStart> = {}): MessageStart => ({ messageId: "a1", conversationId: "c1", model: "m", userMessageId: "u1", ...extra });
const ended: StreamOutcome = { kind: "end", end: { messageId: "a1", finishReason: "stop" } };
const detail = (id: string): ConversationDetail => ({ conversationId: id, title: "Saved", model: "m", createdAt: 1, updatedAt: 2, currentMessageId: "a1", messages: [] });

/** An API whose chat stream does what a test says, recording the calls a turn makes. */
function setup(stream: Stream) {
  const calls: string[] = [];
  const fake = {
    createConversation: async () => (calls.push("create"), { conversationId: "c1", createdAt: 1 }),
    getConversation: async (id: string) => (calls.push(`get ${id}`), detail(id)),
    getTree: async () => ({ messages: [] }),
    sendMessage: (_id: string, body: unknown, h: StreamHandlers) => (calls.push(`send ${JSON.stringify(body)}`), stream(h)),
    regenerate: (id: string, messageId: string, model: string, h: StreamHandlers) => (calls.push(`regenerate ${id} ${messageId} ${model}`), stream(h)),
    resume: (id: string, messageId: string, lastEventId: string | null, h: StreamHandlers) => (calls.push(`resume ${id} ${messageId} ${lastEventId}`), stream(h)),
    stop: async (id: string, messageId: string) => void calls.push(`stop ${id} ${messageId}`),
    deleteConversation: async (id: string) => void calls.push(`delete ${id}`),
  };
  const api = fake as unknown as ApiClient;
  const told: string[] = [];
  const host: TurnHost = {
    defaultModel: "auto",
    onCreated: (id) => told.push(`created ${id}`),
    onTurnDone: () => told.push("done"),
    onListChanged: () => told.push("list"),
  };
  const turn = new TurnController(api, new DraftAttachments(api as never), new Thumbnails(async () => new Blob()), host, () => undefined);
  return { turn, calls, told };
}

/** Send `text` from the composer of a new chat and wait until the app is told the turn is done. */
async function sendFirst({ turn, told }: { turn: TurnController; told: string[] }, text: string) {
  turn.open(null);
  turn.dispatch({ type: "draft", draft: text });
  turn.sendDraft(false);
  await vi.waitFor(() => expect(told).toContain("done"), { timeout: 1000, interval: 5 });
}

describe("TurnController", () => {
  it("creates a chat for the first message and announces it once the server takes the message", async () => {
    const t = setup(async (h) => {
      h.onStart?.(start());
      h.onDelta?.("Hi", 0);
      return ended;
    });
    const { turn, calls, told } = t;
    await sendFirst(t, "  hello ");
    expect(calls.slice(0, 3)).toEqual(["create", 'send {"content":"hello","model":"auto"}', "get c1"]);
    expect(told).toEqual(["created c1", "done"]);
    expect(turn.state).toMatchObject({ shownId: "c1", draft: "", problem: null, detail: { title: "Saved" } });
    turn.dispose();
  });

  it("the checks for a new chat's title refresh the list, and are not a finished turn", async () => {
    // A finished turn closes an open chat menu in the sidebar: a title arriving must not.
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const t = setup(async (h) => {
        h.onStart?.(start());
        h.onDelta?.("Hi", 0);
        return ended;
      });
      await sendFirst(t, "hello");
      expect(t.told).toEqual(["created c1", "done"]);
      await vi.advanceTimersByTimeAsync(5000);
      expect(t.calls.filter((c) => c === "get c1").length).toBe(3); // after the turn, then each check
      expect(t.told).toEqual(["created c1", "done", "list", "list"]);
      t.turn.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it("a first message refused outright deletes its empty chat and puts the text back", async () => {
    const { turn, calls, told } = setup(async () => {
      throw new ApiError(400, "content_blocked", "Blocked by policy.", false);
    });
    turn.open(null);
    turn.dispatch({ type: "draft", draft: "bad words" });
    turn.sendDraft(false);
    await vi.waitFor(() => expect(told).toContain("done"));
    expect(calls).toContain("delete c1");
    expect(told).not.toContain("created c1");
    expect(turn.state).toMatchObject({ shownId: null, detail: null, pending: null, draft: "bad words", problem: { text: "Blocked by policy." } });
    expect(turn.state.problem?.retry).toBeUndefined();
    turn.dispose();
  });

  it("Stop pressed before the answer has an id stops it as soon as it starts", async () => {
    let release!: () => void;
    const { turn, calls } = setup(
      (h) =>
        new Promise((resolve) => {
          release = () => {
            h.onStart?.(start());
            resolve(ended);
          };
        }),
    );
    turn.open(null);
    turn.dispatch({ type: "draft", draft: "long story" });
    turn.sendDraft(false);
    await vi.waitFor(() => expect(turn.state.pending).not.toBeNull());
    turn.stop();
    expect(calls.some((c) => c.startsWith("stop"))).toBe(false);
    release();
    await vi.waitFor(() => expect(calls).toContain("stop c1 a1"));
    turn.dispose();
  });

  it("picks a broken stream up where it broke, and says so if it breaks again", async () => {
    const t = setup(async (h) => {
      h.onStart?.(start());
      return { kind: "disconnected", messageId: "a1", lastEventId: "7" };
    });
    const { turn, calls } = t;
    await sendFirst(t, "hello");
    expect(calls).toContain("resume c1 a1 7");
    expect(turn.state.problem?.text).toMatch(/connection was lost/);
    turn.dispose();
  });

  it("a failed answer offers Retry as a regeneration of the saved message", async () => {
    const t = setup(async (h) => {
      h.onStart?.(start());
      return { kind: "error", error: { code: "model_error", message: "The model failed.", retryable: true } };
    });
    const { turn } = t;
    await sendFirst(t, "hello");
    expect(turn.state.problem?.text).toBe("The model failed.");
    // The model picked since then is not the one retried: Retry repeats the turn that failed.
    turn.dispatch({ type: "model", model: "parley-fast" });
    turn.state.problem?.retry?.();
    await vi.waitFor(() => expect(t.calls).toContain("regenerate c1 u1 auto"));
    turn.dispose();
  });

  it("does not send while a turn runs, while files upload or while sending is blocked", async () => {
    const { turn, calls } = setup(async () => ended);
    turn.open(null);
    turn.dispatch({ type: "draft", draft: "hello" });
    turn.sendDraft(true);
    turn.dispatch({ type: "draft", draft: "   " });
    turn.sendDraft(false);
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([]);
    turn.dispose();
  });
});
