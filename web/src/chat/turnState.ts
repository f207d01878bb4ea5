// The state of one open conversation and its turn, as a pure reducer: what is shown, what is being
// sent, what went wrong. The async work (API calls, the SSE stream) lives in `turnController.ts`,
// which dispatches these actions; the views only read the state.

import { formatDuration } from "../api/errors";
import type { AttachmentRecord, ConversationDetail, Message, MessageStart } from "../api/types";
import type { LiveText } from "./live";
import type { TurnProblem } from "./turnProblem";

/** Opening a long conversation draws its latest messages first, then older ones in batches while idle. */
export const FIRST_BATCH = 40;
export const BATCH = 40;

export interface Pending {
  conversationId: string;
  /** Messages shown above the turn (the branch it continues). */
  base: Message[];
  /** The message being sent, shown at once; null when regenerating. */
  user: Message | null;
  live: LiveText;
  start: MessageStart | null;
  /** Stop was pressed before the answer had an id to stop: stop it as soon as it starts. */
  stopWanted: boolean;
}

export interface MemoryNote {
  memoryId: string;
  content: string;
  undone?: boolean;
}

export interface TurnState {
  /** The conversation this view shows (set before the route catches up when a chat is created here). */
  shownId: string | null;
  detail: ConversationDetail | null;
  /** The tree's parentless messages: only needed to switch between versions of an edited first message. */
  roots: string[];
  loading: boolean;
  loadError: string | null;
  pending: Pending | null;
  problem: TurnProblem | null;
  model: string;
  draft: string;
  /** The message whose edit box is open. */
  editing: string | null;
  /** Messages before this index are not rendered yet. */
  renderFrom: number;
  memoryNote: MemoryNote | null;
  /** Why some files were not added to the composer. */
  fileNote: string | null;
  /** Bumped whenever the view should jump to the end on its next render (a chat opened, a turn began). */
  scrollRequest: number;
}

export type TurnAction =
  | { type: "opened"; conversationId: string | null; defaultModel: string }
  | { type: "loaded"; conversationId: string; detail: ConversationDetail; opening: boolean; defaultModel: string }
  | { type: "loadFailed"; conversationId: string; error: string }
  | { type: "loadSettled"; conversationId: string }
  | { type: "rootsLoaded"; conversationId: string; roots: string[] }
  /** A conversation was created here for the first message. */
  | { type: "created"; detail: ConversationDetail }
  | { type: "turnStarted"; pending: Omit<Pending, "start" | "stopWanted"> }
  | { type: "streamStarted"; live: LiveText; start: MessageStart }
  | { type: "stopRequested" }
  | { type: "turnEnded"; conversationId: string; problem: TurnProblem | null }
  /** The turn was refused and the chat made for it is being deleted: back to a new chat. */
  | { type: "turnDiscarded"; problem: TurnProblem | null }
  | { type: "problem"; problem: TurnProblem | null }
  | { type: "model"; model: string }
  | { type: "draft"; draft: string }
  /** A refused message goes back into the composer, unless something new was typed meanwhile. */
  | { type: "draftRestored"; text: string }
  | { type: "editing"; messageId: string | null }
  | { type: "renderMore" }
  | { type: "renderDownTo"; index: number }
  | { type: "memoryNote"; note: MemoryNote | null }
  | { type: "fileNote"; note: string | null };

export function initialTurnState(model: string): TurnState {
  return {
    shownId: null,
    detail: null,
    roots: [],
    loading: false,
    loadError: null,
    pending: null,
    problem: null,
    model,
    draft: "",
    editing: null,
    renderFrom: 0,
    memoryNote: null,
    fileNote: null,
    scrollRequest: 0,
  };
}

export function turnReducer(s: TurnState, a: TurnAction): TurnState {
  switch (a.type) {
    case "opened": {
      // The draft, the memory note, the composer's files and their note stay: they are not the chat's.
      const base = { ...s, shownId: a.conversationId, pending: null, problem: null, editing: null, detail: null, roots: [], loadError: null };
      return a.conversationId ? { ...base, loading: true } : { ...base, loading: false, model: a.defaultModel };
    }
    case "loaded": {
      if (s.shownId !== a.conversationId) return s;
      const next = { ...s, detail: a.detail, loadError: null };
      if (!a.opening) return next;
      return {
        ...next,
        renderFrom: Math.max(0, a.detail.messages.length - FIRST_BATCH),
        model: a.detail.model || a.defaultModel,
        scrollRequest: s.scrollRequest + 1,
      };
    }
    case "loadFailed":
      return s.shownId === a.conversationId ? { ...s, loadError: a.error } : s;
    case "loadSettled":
      return s.shownId === a.conversationId ? { ...s, loading: false } : s;
    case "rootsLoaded":
      return s.shownId === a.conversationId ? { ...s, roots: a.roots } : s;
    case "created":
      return { ...s, shownId: a.detail.conversationId, detail: a.detail };
    case "turnStarted":
      return {
        ...s,
        pending: { ...a.pending, start: null, stopWanted: false },
        problem: null,
        editing: null,
        scrollRequest: s.scrollRequest + 1,
      };
    case "streamStarted":
      return s.pending && s.pending.live === a.live ? { ...s, pending: { ...s.pending, start: a.start } } : s;
    case "stopRequested":
      return s.pending && !s.pending.start ? { ...s, pending: { ...s.pending, stopWanted: true } } : s;
    case "turnEnded":
      if (s.shownId !== a.conversationId) return s;
      // A problem is shown only once the turn is over, so that its Retry starts a new turn.
      return { ...s, pending: null, problem: a.problem ?? s.problem };
    case "turnDiscarded":
      return { ...s, shownId: null, detail: null, pending: null, problem: a.problem ?? s.problem };
    case "problem":
      return { ...s, problem: a.problem };
    case "model":
      return { ...s, model: a.model };
    case "draft":
      return { ...s, draft: a.draft };
    case "draftRestored":
      return { ...s, draft: s.draft || a.text };
    case "editing":
      return { ...s, editing: a.messageId };
    case "renderMore":
      return s.renderFrom > 0 ? { ...s, renderFrom: Math.max(0, s.renderFrom - BATCH) } : s;
    case "renderDownTo":
      return a.index < s.renderFrom ? { ...s, renderFrom: Math.max(0, a.index) } : s;
    case "memoryNote":
      return { ...s, memoryNote: a.note };
    case "fileNote":
      return { ...s, fileNote: a.note };
  }
}

/** The files a message goes with: their ids, and what to show of them until the server's record. */
export interface SentFiles {
  ids: string[];
  records: AttachmentRecord[];
}

/** The message being sent, shown at once (until the server's copy replaces it when the turn ends).
 * `parent`: undefined continues `base`; null starts a new first message (an edited one). */
export function pendingUserMessage(text: string, parent: string | null | undefined, base: Message[], sent?: SentFiles, now: number = Date.now()): Message {
  return {
    messageId: `pending-${now}`,
    parentMessageId: parent ?? base[base.length - 1]?.messageId ?? null,
    role: "user",
    content: text,
    createdAt: now,
    childrenIds: [],
    ...(sent?.ids.length ? { attachments: sent.ids, details: { attachments: sent.records } } : {}),
  };
}

/** What a chat created here for its first message shows until it is read back. */
export function newChatDetail(conversationId: string, model: string, createdAt: number): ConversationDetail {
  return { conversationId, title: "New chat", model, createdAt, updatedAt: createdAt, currentMessageId: null, messages: [] };
}

/** The messages on screen: the active branch, or the branch a turn continues plus its new message. */
export function shownMessages(s: TurnState): Message[] {
  const p = s.pending;
  if (p) return p.user ? p.base.concat([p.user]) : p.base;
  return s.detail?.messages ?? [];
}

/** The index of the first rendered message (the latest batch is always drawn). */
export function firstRendered(s: TurnState, shownCount: number): number {
  return Math.min(s.renderFrom, Math.max(0, shownCount - FIRST_BATCH));
}

/** An answer is being written elsewhere (another tab, or before a reload): it is saved when done. */
export function generatingElsewhere(s: TurnState): boolean {
  return !s.pending && (s.detail?.messages ?? []).some((m) => m.status === "generating");
}

export function isArchived(s: TurnState): boolean {
  return !!s.detail?.archived && !s.pending;
}

export interface Limit {
  /** Epoch ms until which sending waits (0: it does not). */
  until: number;
  text: string;
}

/** The message limit in force: the last turn's rate limit, or the account's (from GET /usage). */
export function limitOf(problem: TurnProblem | null, account: Limit | null): Limit {
  const turn = problem?.rateLimited && problem.until ? problem.until : 0;
  return {
    until: Math.max(turn, account?.until ?? 0),
    text: turn ? problem!.text : account?.text ?? "",
  };
}

/** Why Send waits, or null: an archived chat, or a message limit used up (counting down to `now`). */
export function blockedReason(archived: boolean, limit: Limit, now: number): string | null {
  if (archived) return "This chat is archived. Unarchive it to send messages.";
  if (limit.until > now) return `${limit.text} You can send again in ${formatDuration((limit.until - now) / 1000)}.`;
  return null;
}
