// The async side of a conversation: loading it, sending, regenerating, resuming a broken stream,
// stopping, switching branches. Each step dispatches to the pure reducer in `turnState.ts`; the
// state is kept here as well so that a step that awaited can check it is still current.

import type { ApiClient, StreamHandlers, StreamOutcome } from "../api/client";
import { describeError } from "../api/errors";
import type { Message, MessageStart, SendRequest } from "../api/types";
import { LiveText } from "./live";
import type { Thumbnails } from "./thumbs";
import { rootsOf, siblingsAt } from "./tree";
import { outcomeProblem, refusedOutright, requestProblem, type TurnProblem } from "./turnProblem";
import { initialTurnState, newChatDetail, pendingUserMessage, turnReducer, type SentFiles, type TurnAction, type TurnState } from "./turnState";
import { messageFiles, recordsOf, type DraftAttachment, type DraftAttachments } from "./uploads";

/** What the app is told about, and the model to fall back on; replaced on every render. */
export interface TurnHost {
  defaultModel: string;
  /** A chat created here was accepted by the server: route to it (and list it). */
  onCreated(id: string): void;
  /** A turn finished: the list and usage may have changed. */
  onTurnDone(): void;
  /** Something the conversation list shows changed here (a chat unarchived). */
  onListChanged(): void;
}

type Call = (h: StreamHandlers & { signal: AbortSignal }) => Promise<StreamOutcome>;

/** The server names a new chat in the background after its first answer: look again after these. */
const TITLE_CHECKS_MS = [1500, 4000];

export class TurnController {
  state: TurnState;
  private abort: AbortController | null = null;
  private titleTimers: ReturnType<typeof setTimeout>[] = [];

  constructor(
    private readonly api: ApiClient,
    readonly drafts: DraftAttachments,
    readonly thumbs: Thumbnails,
    public host: TurnHost,
    private readonly changed: (s: TurnState) => void,
  ) {
    this.state = initialTurnState(host.defaultModel);
  }

  dispatch = (a: TurnAction): void => {
    const next = turnReducer(this.state, a);
    if (next === this.state) return;
    this.state = next;
    this.changed(next);
  };

  dispose(): void {
    this.abort?.abort();
    this.titleTimers.forEach(clearTimeout);
    this.drafts.dispose();
    this.thumbs.dispose();
  }

  /** Show `id` (null: a new chat). A chat created here is already shown when the route catches up. */
  open(id: string | null): void {
    if (id !== null && id === this.state.shownId) return;
    this.abort?.abort();
    this.dispatch({ type: "opened", conversationId: id, defaultModel: this.host.defaultModel });
    if (!id) return;
    this.load(id, true)
      .catch((err) => this.dispatch({ type: "loadFailed", conversationId: id, error: describeError(err) }))
      .finally(() => this.dispatch({ type: "loadSettled", conversationId: id }));
    this.loadRoots(id);
  }

  /** Read the shown conversation again (unless a turn is running: it reads it when done). */
  refresh(): void {
    const id = this.state.shownId;
    if (id && !this.state.pending) void this.load(id, false).catch(() => undefined);
  }

  async load(id: string, opening: boolean): Promise<void> {
    const detail = await this.api.getConversation(id);
    this.dispatch({ type: "loaded", conversationId: id, detail, opening, defaultModel: this.host.defaultModel });
  }

  // Roots only matter for a first message that was edited; fetched in the background, off the open path.
  private loadRoots(id: string): void {
    this.api
      .getTree(id)
      .then((t) => this.dispatch({ type: "rootsLoaded", conversationId: id, roots: rootsOf(t.messages) }))
      .catch(() => undefined);
  }

  attach(files: File[]): void {
    this.dispatch({ type: "fileNote", note: this.drafts.add(files) });
  }

  removeFile(key: string): void {
    this.drafts.remove(key);
    this.dispatch({ type: "fileNote", note: null });
  }

  /** Send what the composer holds: its text and its ready files (`blocked`: sending waits). */
  sendDraft(blocked: boolean): void {
    const { draft, pending, detail } = this.state;
    if (!draft.trim() || pending || this.drafts.busy || blocked) return;
    this.dispatch({ type: "fileNote", note: null });
    const taken = this.drafts.take();
    for (const a of taken) if (a.previewUrl && a.attachmentId) this.thumbs.seed(a.attachmentId, a.previewUrl);
    const sent = taken.length ? { ids: taken.map((a) => a.attachmentId!), records: recordsOf(taken) } : undefined;
    void this.send(draft, undefined, detail?.messages ?? [], sent, taken);
  }

  /** `taken`: the composer's files that go with it, put back if the message is refused.
   * `model`: a retry asks the model its turn asked. */
  private async send(content: string, parent: string | null | undefined, base: Message[], sent?: SentFiles, taken: DraftAttachment[] = [], model = this.state.model): Promise<void> {
    const text = content.trim();
    if (!text || this.state.pending) return;
    let id = this.state.shownId;
    let fresh = false;
    this.dispatch({ type: "draft", draft: "" });
    let restored = false;
    const restore = () => {
      restored = true;
      this.dispatch({ type: "draftRestored", text });
      this.drafts.restore(taken);
    };
    if (!id) {
      try {
        const created = await this.api.createConversation({ model });
        id = created.conversationId;
        this.dispatch({ type: "created", detail: newChatDetail(id, model, created.createdAt) });
        fresh = true;
      } catch (err) {
        restore();
        this.dispatch({ type: "problem", problem: { text: describeError(err) } });
        return;
      }
    }
    const convId = id;
    const body: SendRequest = { content: text, model };
    if (parent !== undefined) body.parentMessageId = parent;
    if (sent?.ids.length) body.attachments = sent.ids;
    const user = pendingUserMessage(text, parent, base, sent);
    const call: Call = (h) => this.api.sendMessage(convId, body, h);
    await this.runTurn(convId, base, user, model, call, () => void this.send(text, parent, base, sent, [], model), restore, fresh);
    if (!restored) this.drafts.release(taken);
    if (parent === null) this.loadRoots(convId);
  }

  private regenerateFrom(convId: string, messageId: string, base: Message[], model = this.state.model): void {
    if (this.state.pending) return;
    const call: Call = (h) => this.api.regenerate(convId, messageId, model, h);
    void this.runTurn(convId, base, null, model, call, () => this.regenerateFrom(convId, messageId, base, model), null);
  }

  /** What a message offers; stable, so memoised messages are not re-rendered for it. */
  readonly actions = {
    startEdit: (messageId: string | null) => this.dispatch({ type: "editing", messageId }),
    edit: (index: number, content: string) => {
      const branch = this.state.detail?.messages ?? [];
      const m = branch[index];
      if (!m) return;
      // An edited message keeps its files (they belong to this conversation already).
      const sent = m.attachments?.length ? { ids: m.attachments, records: messageFiles(m) } : undefined;
      void this.send(content, m.parentMessageId ?? null, branch.slice(0, index), sent);
    },
    regenerate: (index: number) => {
      const branch = this.state.detail?.messages ?? [];
      const m = branch[index];
      const id = this.state.shownId;
      if (m && id) this.regenerateFrom(id, m.messageId, branch.slice(0, index));
    },
    switchBranch: (index: number, to: number) => {
      const { shownId: id, pending, detail, roots } = this.state;
      if (!id || pending) return;
      const target = siblingsAt(detail?.messages ?? [], index, roots).ids[to];
      if (!target) return;
      this.api
        .updateConversation(id, { currentMessageId: target })
        .then(() => this.load(id, false))
        .catch((err) => this.dispatch({ type: "problem", problem: { text: describeError(err) } }));
    },
  };

  stop(): void {
    const p = this.state.pending;
    if (!p) return;
    if (p.start) void this.api.stop(p.conversationId, p.start.messageId).catch((err) => this.dispatch({ type: "problem", problem: { text: describeError(err) } }));
    else this.dispatch({ type: "stopRequested" });
  }

  unarchive(): void {
    const id = this.state.shownId;
    if (!id) return;
    this.api
      .updateConversation(id, { archived: false })
      .then(() => this.load(id, false))
      .then(() => this.host.onListChanged())
      .catch((err) => this.dispatch({ type: "problem", problem: { text: describeError(err) } }));
  }

  undoMemory(): void {
    const note = this.state.memoryNote;
    if (!note) return;
    void this.api
      .deleteMemory(note.memoryId)
      .then(() => this.dispatch({ type: "memoryNote", note: { ...note, undone: true } }))
      .catch(() => this.dispatch({ type: "memoryNote", note: null }));
  }

  /** `restore`: called when the turn is refused before its answer starts (puts the draft back).
   * `fresh`: the conversation was created for this turn and is not shown in the list yet: it is
   * announced once the server takes the message, and deleted if the message is refused. */
  private async runTurn(convId: string, base: Message[], user: Message | null, model: string, call: Call, resend: (() => void) | null, restore: (() => void) | null, fresh = false): Promise<void> {
    let announced = !fresh;
    const announce = () => {
      if (announced) return;
      announced = true;
      this.host.onCreated(convId);
    };
    const live = new LiveText();
    this.dispatch({ type: "turnStarted", pending: { conversationId: convId, base, user, live } });
    const ctrl = new AbortController();
    this.abort = ctrl;
    const here = () => this.state.shownId === convId && !ctrl.signal.aborted;
    let start: MessageStart | null = null;
    const handlers: StreamHandlers & { signal: AbortSignal } = {
      signal: ctrl.signal,
      onStart: (s) => {
        start = s;
        announce();
        if (!here()) return;
        this.dispatch({ type: "streamStarted", live, start: s });
        if (this.state.pending?.stopWanted) void this.api.stop(convId, s.messageId).catch(() => undefined);
      },
      onDelta: (text, at) => live.append(text, at),
    };
    const retry = (): (() => void) | undefined => {
      const s = start as MessageStart | null;
      if (s?.userMessageId) {
        const userId = s.userMessageId;
        return () => this.regenerateFrom(convId, userId, base.concat(user ? [{ ...user, messageId: userId }] : []), model);
      }
      return resend ?? undefined;
    };
    let problem: TurnProblem | null = null;
    let discard = false;
    try {
      let outcome = await call(handlers);
      if (outcome.kind === "disconnected" && !ctrl.signal.aborted && outcome.messageId) {
        // The server finishes and saves the answer regardless; pick the stream up where it broke.
        const s = outcome;
        outcome = await this.api.resume(convId, s.messageId!, s.lastEventId, handlers).catch(() => s);
      }
      if (!here()) return;
      if (outcome.kind === "end" && outcome.end.memoryCreated) this.dispatch({ type: "memoryNote", note: outcome.end.memoryCreated });
      problem = outcomeProblem(outcome, retry());
    } catch (err) {
      if (!here()) return;
      if (restore && !start) restore();
      // An empty chat made for a refused message would only clutter the list.
      discard = fresh && refusedOutright(err, start !== null);
      problem = requestProblem(err, retry(), !!user?.attachments?.length);
    } finally {
      if (here() && discard) {
        this.dispatch({ type: "turnDiscarded", problem });
        // The list and usage are read again once the empty chat is gone (a refusal may change usage).
        void this.api.deleteConversation(convId).catch(() => undefined).finally(() => this.host.onTurnDone());
      } else if (here()) {
        announce();
        try {
          await this.load(convId, false);
        } catch {
          // keep showing what streamed; the next open reads it again
        }
        if (this.state.shownId === convId) {
          this.dispatch({ type: "turnEnded", conversationId: convId, problem });
          if (base.length === 0 && !problem) this.awaitTitle(convId);
        }
        this.host.onTurnDone();
      }
    }
  }

  private awaitTitle(convId: string): void {
    for (const delay of TITLE_CHECKS_MS) {
      this.titleTimers.push(
        setTimeout(() => {
          if (this.state.shownId !== convId || this.state.pending) return;
          // Only the list changes (a title arrived): not a turn of the user's, so nothing they have
          // open there (a chat's menu) closes under them.
          void this.load(convId, false)
            .then(() => this.host.onListChanged())
            .catch(() => undefined);
        }, delay),
      );
    }
  }
}
