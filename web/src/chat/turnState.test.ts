import { describe, expect, it } from "vitest";
import type { ConversationDetail, Message, MessageStart } from "../api/types";
import type { LiveText } from "./live";
import {
  blockedReason,
  FIRST_BATCH,
  firstRendered,
  generatingElsewhere,
  initialTurnState,
  isArchived,
  limitOf,
  pendingUserMessage,
  shownMessages,
  turnReducer,
  type TurnAction,
  type TurnState,
} from "./turnState";

const msg = (id: string, extra: Partial<Message> = {}): Message => ({
  messageId: id,
  parentMessageId: null,
  role: "user",
  content: id,
  createdAt: 1,
  childrenIds: [],
  ...extra,
});

const detail = (id: string, messages: Message[], extra: Partial<ConversationDetail> = {}): ConversationDetail => ({
  conversationId: id,
  title: "T",
  model: "parley-smart",
  createdAt: 1,
  updatedAt: 1,
  currentMessageId: null,
  messages,
  ...extra,
});

// The reducer only compares a stream's LiveText by identity: a bare object stands in for it.
const live = () => ({}) as LiveText;
const start: MessageStart = { messageId: "a1", userMessageId: "u1" } as MessageStart;

const run = (actions: TurnAction[], s: TurnState = initialTurnState("auto")) => actions.reduce(turnReducer, s);
const opened = (id: string | null): TurnAction => ({ type: "opened", conversationId: id, defaultModel: "auto" });

describe("turnReducer: opening and loading", () => {
  it("opening a chat clears the last one's turn and waits for its messages", () => {
    const before = run([opened("c1"), { type: "loaded", conversationId: "c1", detail: detail("c1", [msg("m1")]), opening: true, defaultModel: "auto" }, { type: "problem", problem: { text: "x" } }, { type: "draft", draft: "keep me" }]);
    const s = turnReducer(before, opened("c2"));
    expect(s).toMatchObject({ shownId: "c2", detail: null, problem: null, pending: null, loading: true, draft: "keep me" });
  });

  it("a new chat takes the default model; an opened chat takes its own and jumps to the end", () => {
    let s = run([{ type: "model", model: "parley-fast" }, opened(null)]);
    expect(s.model).toBe("auto");
    s = run([opened("c1"), { type: "loaded", conversationId: "c1", detail: detail("c1", []), opening: true, defaultModel: "auto" }], s);
    expect(s.model).toBe("parley-smart");
    expect(s.scrollRequest).toBe(1);
    // A later read (a refresh) keeps the model the person picked and where they are scrolled.
    s = run([{ type: "model", model: "parley-fast" }, { type: "loaded", conversationId: "c1", detail: detail("c1", []), opening: false, defaultModel: "auto" }], s);
    expect(s.model).toBe("parley-fast");
    expect(s.scrollRequest).toBe(1);
  });

  it("ignores what arrives for a chat no longer shown", () => {
    const s = run([opened("c1"), opened("c2")]);
    expect(turnReducer(s, { type: "loaded", conversationId: "c1", detail: detail("c1", [msg("m")]), opening: true, defaultModel: "auto" })).toBe(s);
    expect(turnReducer(s, { type: "loadFailed", conversationId: "c1", error: "gone" })).toBe(s);
    expect(turnReducer(s, { type: "loadSettled", conversationId: "c1" })).toBe(s);
    expect(turnReducer(s, { type: "rootsLoaded", conversationId: "c1", roots: ["r"] })).toBe(s);
    expect(run([{ type: "loadFailed", conversationId: "c2", error: "gone" }, { type: "loadSettled", conversationId: "c2" }], s)).toMatchObject({ loadError: "gone", loading: false });
  });

  it("a new chat started while another is still loading is not left loading", () => {
    const s = run([opened("c1"), opened(null)]);
    expect(s.loading).toBe(false);
    // The first chat's read ends later: it changes nothing on the new chat.
    expect(turnReducer(s, { type: "loadSettled", conversationId: "c1" })).toBe(s);
  });

  it("draws a long chat's latest batch first, then older ones down to the first message", () => {
    const many = Array.from({ length: FIRST_BATCH + 50 }, (_, i) => msg(`m${i}`));
    let s = run([opened("c1"), { type: "loaded", conversationId: "c1", detail: detail("c1", many), opening: true, defaultModel: "auto" }]);
    expect(s.renderFrom).toBe(50);
    expect(firstRendered(s, many.length)).toBe(50);
    s = run([{ type: "renderMore" }], s);
    expect(s.renderFrom).toBe(10);
    s = run([{ type: "renderMore" }], s);
    expect(s.renderFrom).toBe(0);
    expect(turnReducer(s, { type: "renderMore" })).toBe(s);
  });

  it("renders down to a focused message but never back up", () => {
    const s = { ...initialTurnState("auto"), renderFrom: 30 };
    expect(turnReducer(s, { type: "renderDownTo", index: 12 }).renderFrom).toBe(12);
    expect(turnReducer(s, { type: "renderDownTo", index: 35 })).toBe(s);
  });
});

describe("turnReducer: a turn", () => {
  const loaded = () =>
    run([opened("c1"), { type: "loaded", conversationId: "c1", detail: detail("c1", [msg("m1")]), opening: true, defaultModel: "auto" }, { type: "editing", messageId: "m1" }, { type: "problem", problem: { text: "old" } }]);

  it("shows the message at once, below the branch it continues, and clears the last problem and edit", () => {
    const l = live();
    const user = msg("pending-1");
    const s = turnReducer(loaded(), { type: "turnStarted", pending: { conversationId: "c1", base: [msg("m1")], user, live: l } });
    expect(shownMessages(s).map((m) => m.messageId)).toEqual(["m1", "pending-1"]);
    expect(s).toMatchObject({ problem: null, editing: null, scrollRequest: 2 });
    expect(s.pending).toMatchObject({ start: null, stopWanted: false });
  });

  it("a regenerated answer shows only the branch above it", () => {
    const s = turnReducer(loaded(), { type: "turnStarted", pending: { conversationId: "c1", base: [], user: null, live: live() } });
    expect(shownMessages(s)).toEqual([]);
  });

  it("takes the stream's start only for the turn it belongs to", () => {
    const l = live();
    const s = turnReducer(loaded(), { type: "turnStarted", pending: { conversationId: "c1", base: [], user: null, live: l } });
    expect(turnReducer(s, { type: "streamStarted", live: live(), start })).toBe(s);
    expect(turnReducer(s, { type: "streamStarted", live: l, start }).pending?.start).toBe(start);
  });

  it("remembers Stop pressed before the answer has an id, and only then", () => {
    const l = live();
    let s = turnReducer(loaded(), { type: "turnStarted", pending: { conversationId: "c1", base: [], user: null, live: l } });
    s = turnReducer(s, { type: "stopRequested" });
    expect(s.pending?.stopWanted).toBe(true);
    const started = turnReducer({ ...s, pending: { ...s.pending!, stopWanted: false } }, { type: "streamStarted", live: l, start });
    expect(turnReducer(started, { type: "stopRequested" })).toBe(started);
    expect(turnReducer(initialTurnState("auto"), { type: "stopRequested" }).pending).toBeNull();
  });

  it("shows a turn's problem once the turn is over, keeping one that came meanwhile if it had none", () => {
    const s = turnReducer(loaded(), { type: "turnStarted", pending: { conversationId: "c1", base: [], user: null, live: live() } });
    expect(turnReducer(s, { type: "turnEnded", conversationId: "c1", problem: { text: "failed" } })).toMatchObject({ pending: null, problem: { text: "failed" } });
    const stopFailed = turnReducer(s, { type: "problem", problem: { text: "stop failed" } });
    expect(turnReducer(stopFailed, { type: "turnEnded", conversationId: "c1", problem: null }).problem).toEqual({ text: "stop failed" });
    // Ended after the person opened another chat: nothing of it shows there.
    const elsewhere = turnReducer(s, opened("c2"));
    expect(turnReducer(elsewhere, { type: "turnEnded", conversationId: "c1", problem: { text: "failed" } })).toBe(elsewhere);
  });

  it("a refused first message goes back to a new chat, its text back in the composer unless replaced", () => {
    let s = run([opened(null), { type: "draft", draft: "" }, { type: "created", detail: detail("c9", []) }]);
    expect(s.shownId).toBe("c9");
    s = run([{ type: "turnStarted", pending: { conversationId: "c9", base: [], user: msg("p"), live: live() } }, { type: "draftRestored", text: "hello" }, { type: "turnDiscarded", problem: { text: "blocked" } }], s);
    expect(s).toMatchObject({ shownId: null, detail: null, pending: null, draft: "hello", problem: { text: "blocked" } });
    expect(turnReducer({ ...s, draft: "typed since" }, { type: "draftRestored", text: "hello" }).draft).toBe("typed since");
  });
});

describe("what the view derives", () => {
  it("an answer written elsewhere is polled for only while no turn runs here", () => {
    const s = run([opened("c1"), { type: "loaded", conversationId: "c1", detail: detail("c1", [msg("a", { role: "assistant", status: "generating" })]), opening: true, defaultModel: "auto" }]);
    expect(generatingElsewhere(s)).toBe(true);
    expect(generatingElsewhere(turnReducer(s, { type: "turnStarted", pending: { conversationId: "c1", base: [], user: null, live: live() } }))).toBe(false);
  });

  it("an archived chat is not shown as archived while a turn runs", () => {
    const s = run([opened("c1"), { type: "loaded", conversationId: "c1", detail: detail("c1", [], { archived: true }), opening: true, defaultModel: "auto" }]);
    expect(isArchived(s)).toBe(true);
    expect(isArchived(turnReducer(s, { type: "turnStarted", pending: { conversationId: "c1", base: [], user: null, live: live() } }))).toBe(false);
  });

  it("Send waits for the later of the turn's rate limit and the account's, saying whose words", () => {
    const account = { until: 5_000, text: "Daily limit reached." };
    expect(limitOf(null, account)).toEqual(account);
    expect(limitOf({ text: "Slow down.", rateLimited: true, until: 9_000 }, account)).toEqual({ until: 9_000, text: "Slow down." });
    expect(limitOf({ text: "Failed.", until: 9_000 }, null)).toEqual({ until: 0, text: "" });
    expect(blockedReason(false, account, 1_000)).toBe("Daily limit reached. You can send again in 4 s.");
    expect(blockedReason(false, account, 5_000)).toBeNull();
    expect(blockedReason(true, account, 1_000)).toBe("This chat is archived. Unarchive it to send messages.");
  });

  it("the message being sent continues the branch, or starts over as an edited first message", () => {
    const base = [msg("m1"), msg("m2")];
    expect(pendingUserMessage("hi", undefined, base, undefined, 7)).toMatchObject({ messageId: "pending-7", parentMessageId: "m2", content: "hi" });
    expect(pendingUserMessage("hi", null, [], undefined, 7).parentMessageId).toBeNull();
    const withFiles = pendingUserMessage("see", "m1", base, { ids: ["f1"], records: [] }, 7);
    expect(withFiles).toMatchObject({ parentMessageId: "m1", attachments: ["f1"], details: { attachments: [] } });
    expect("attachments" in pendingUserMessage("hi", "m1", base, { ids: [], records: [] }, 7)).toBe(false);
  });
});
