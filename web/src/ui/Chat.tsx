// One conversation: its active branch, the answer streaming in, and the composer.

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ApiClient, StreamHandlers, StreamOutcome } from "../api/client";
import { ApiError, describeError, formatDuration, rateLimitText } from "../api/errors";
import type { AttachmentRecord, ConversationDetail, Message, MessageStart, ModelCatalog, SendRequest } from "../api/types";
import { LiveText } from "../chat/live";
import { Thumbnails, ThumbnailsContext } from "../chat/thumbs";
import { rootsOf, siblingsAt } from "../chat/tree";
import { DraftAttachments, messageFiles, recordsOf, refusalHint, type DraftAttachment } from "../chat/uploads";
import { useDraftItems } from "./Attachments";
import { Composer } from "./Composer";
import { Icon } from "./Icon";
import { MessageItem, onCodeCopyClick, StreamingMessage, type MessageActions } from "./Message";
import { ModelPicker } from "./ModelPicker";
import { Notice, type TurnProblem } from "./Notice";
import { NearViewport, NearViewportContext } from "./lazy";
import { LivePanel } from "./LivePanel";
import { ShareDialog } from "./ShareDialog";
import { typingNotifier } from "../chat/channel";

interface Props {
  api: ApiClient;
  conversationId: string | null;
  catalog: ModelCatalog;
  refreshKey: number;
  onCreated(id: string): void;
  onTurnDone(): void;
  onOpenDrawer(): void;
  /** Local mode: say that answers are simulated. */
  simulated: boolean;
  onNewChat(): void;
  /** The account's message limit is used up (from GET /usage): until when, and what to say. */
  limited: { until: number; text: string } | null;
  /** Something the conversation list shows changed here (a chat unarchived). */
  onListChanged(): void;
  /** A message to show (a search result): scrolled to and highlighted once the chat has it. */
  focus?: { messageId: string; nonce: number } | null;
  /** The signed-in user (to tell other members' live events from one's own). */
  me: string;
  /** Whether this deployment serves the live channel (local mode; on AWS it awaits AppSync Events). */
  liveChannel: boolean;
}

interface Pending {
  conversationId: string;
  /** Messages shown above the turn (the branch it continues). */
  base: Message[];
  /** The message being sent, shown at once; null when regenerating. */
  user: Message | null;
  live: LiveText;
  start: MessageStart | null;
}

type Call = (h: StreamHandlers & { signal: AbortSignal }) => Promise<StreamOutcome>;

/** The files a message goes with: their ids, and what to show of them until the server's record. */
interface SentFiles {
  ids: string[];
  records: AttachmentRecord[];
}

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes("Files");

const NEAR_BOTTOM_PX = 80;
/** The latest messages render their Markdown at once; older ones when scrolled near. */
const EAGER_TAIL = 6;
/** Opening a long conversation draws its latest messages first, then older ones in batches while idle. */
const FIRST_BATCH = 40;
const BATCH = 40;

const whenIdle: (fn: () => void) => () => void =
  typeof requestIdleCallback === "function"
    ? (fn) => {
        const h = requestIdleCallback(fn, { timeout: 50 });
        return () => cancelIdleCallback(h);
      }
    : (fn) => {
        const h = setTimeout(fn, 0);
        return () => clearTimeout(h);
      };

export function Chat({ api, conversationId, catalog, refreshKey, onCreated, onTurnDone, onOpenDrawer, simulated, onNewChat, limited, onListChanged, focus, me, liveChannel }: Props) {
  const [detail, setDetail] = useState<ConversationDetail | null>(null);
  const [roots, setRoots] = useState<string[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [pending, setPendingState] = useState<Pending | null>(null);
  const [problem, setProblem] = useState<TurnProblem | null>(null);
  const [model, setModel] = useState(catalog.default || "auto");
  const [draft, setDraft] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const [renderFrom, setRenderFrom] = useState(0);
  const [memoryNote, setMemoryNote] = useState<{ memoryId: string; content: string; undone?: boolean } | null>(null);
  const [sharing, setSharing] = useState(false);
  const typingTarget = useRef<string | null>(null);
  typingTarget.current = conversationId;
  const notifyTyping = useMemo(
    () => typingNotifier(async () => (typingTarget.current ? api.typing(typingTarget.current) : undefined)),
    [api],
  );
  const drafts = useMemo(() => new DraftAttachments(api), [api]);
  useEffect(() => () => drafts.dispose(), [drafts]);
  const thumbs = useMemo(() => new Thumbnails((id) => api.attachmentImage(id)), [api]);
  useEffect(() => () => thumbs.dispose(), [thumbs]);
  const [now, setNow] = useState(Date.now);
  const files = useDraftItems(drafts);
  const [fileNote, setFileNote] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);

  /** The conversation this view shows (set before the route catches up when a chat is created here). */
  const shownId = useRef<string | null>(null);
  const pendingRef = useRef<Pending | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  const stopWanted = useRef(false);
  const scroller = useRef<HTMLDivElement>(null);
  const inner = useRef<HTMLDivElement>(null);
  const [near, setNear] = useState<NearViewport | null>(null);
  const stick = useRef(true);
  const scrollOnRender = useRef(false);

  const setPending = (p: Pending | null) => {
    pendingRef.current = p;
    setPendingState(p);
  };

  const load = useCallback(
    async (id: string, opening: boolean) => {
      const d = await api.getConversation(id);
      if (shownId.current !== id) return;
      setDetail(d);
      setLoadError(null);
      if (opening) {
        setRenderFrom(Math.max(0, d.messages.length - FIRST_BATCH));
        setModel(d.model || catalog.default || "auto");
        scrollOnRender.current = true;
      }
    },
    [api, catalog.default],
  );

  // Roots only matter for a first message that was edited; fetched in the background, off the open path.
  const loadRoots = useCallback(
    (id: string) => {
      api
        .getTree(id)
        .then((t) => shownId.current === id && setRoots(rootsOf(t.messages)))
        .catch(() => undefined);
    },
    [api],
  );

  useEffect(() => {
    if (conversationId !== null && conversationId === shownId.current) return; // created here: already shown
    abortRef.current?.abort();
    shownId.current = conversationId;
    setPending(null);
    setProblem(null);
    setEditing(null);
    setDetail(null);
    setRoots([]);
    setLoadError(null);
    if (!conversationId) {
      setModel(catalog.default || "auto");
      return;
    }
    setLoading(true);
    load(conversationId, true)
      .catch((err) => shownId.current === conversationId && setLoadError(describeError(err)))
      .finally(() => shownId.current === conversationId && setLoading(false));
    loadRoots(conversationId);
  }, [conversationId]);

  useEffect(() => {
    const id = shownId.current;
    if (refreshKey && id && !pendingRef.current) void load(id, false).catch(() => undefined);
  }, [refreshKey]);

  // An answer still being written elsewhere (another tab, or before a reload) is saved when done:
  // read the conversation again until it is.
  const generating = !pending && (detail?.messages ?? []).some((m) => m.status === "generating");
  useEffect(() => {
    const id = shownId.current;
    if (!generating || !id) return;
    const t = setTimeout(() => void load(id, false).catch(() => undefined), 1500);
    return () => clearTimeout(t);
  }, [generating, detail]);

  useEffect(() => {
    if (renderFrom <= 0) return;
    return whenIdle(() => setRenderFrom((f) => Math.max(0, f - BATCH)));
  }, [renderFrom]);

  // A search result opened here: render down to its message, then bring it into view.
  useEffect(() => {
    if (!focus || !detail) return;
    const at = detail.messages.findIndex((m) => m.messageId === focus.messageId);
    if (at < 0) return; // on another branch: the chat opens as usual
    if (at < renderFrom) setRenderFrom(at);
    stick.current = false;
    scrollOnRender.current = false;
    const t = setTimeout(() => {
      const el = inner.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(focus.messageId)}"]`);
      if (!el) return;
      el.scrollIntoView({ block: "center" });
      el.classList.add("focused");
      setTimeout(() => el.classList.remove("focused"), 2500);
    }, 50);
    return () => clearTimeout(t);
  }, [focus?.nonce, detail]);

  const scrollToEnd = () => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  useLayoutEffect(() => {
    if (scrollOnRender.current) {
      scrollOnRender.current = false;
      stick.current = true;
      scrollToEnd();
      // Offscreen messages are laid out lazily (content-visibility): settle once more next frame.
      requestAnimationFrame(scrollToEnd);
    }
  });

  useEffect(() => {
    if (!pending) return;
    return pending.live.onDraw(() => stick.current && scrollToEnd());
  }, [pending?.live]);

  // Whatever changes the height below the fold (lazily laid out messages, Markdown replacing plain
  // text, a growing answer) keeps the view at the end while the person has not scrolled away.
  useEffect(() => {
    const el = scroller.current;
    const content = inner.current;
    if (!el || !content) return;
    const near = new NearViewport(el);
    setNear(near);
    const ro = new ResizeObserver(() => stick.current && scrollToEnd());
    ro.observe(content);
    return () => {
      ro.disconnect();
      near.disconnect();
    };
  }, []);

  /** `restore`: called when the turn is refused before its answer starts (puts the draft back).
   * `fresh`: the conversation was created for this turn and is not shown in the list yet: it is
   * announced once the server takes the message, and deleted if the message is refused. */
  async function runTurn(convId: string, base: Message[], user: Message | null, call: Call, resend: (() => void) | null, restore: (() => void) | null, fresh = false) {
    let announced = !fresh;
    const announce = () => {
      if (announced) return;
      announced = true;
      onCreated(convId);
    };
    let discard = false;
    const live = new LiveText();
    setPending({ conversationId: convId, base, user, live, start: null });
    setProblem(null);
    setEditing(null);
    stopWanted.current = false;
    stick.current = true;
    scrollOnRender.current = true;
    const ctrl = new AbortController();
    abortRef.current = ctrl;
    const here = () => shownId.current === convId && !ctrl.signal.aborted;
    let start: MessageStart | null = null;
    const handlers: StreamHandlers & { signal: AbortSignal } = {
      signal: ctrl.signal,
      onStart: (s) => {
        start = s;
        announce();
        if (!here()) return;
        const p = pendingRef.current;
        if (p && p.live === live) setPending({ ...p, start: s });
        if (stopWanted.current) void api.stop(convId, s.messageId).catch(() => undefined);
      },
      onDelta: (text, at) => live.append(text, at),
    };
    const retryFrom = (): (() => void) | undefined => {
      const s = start as MessageStart | null;
      if (s?.userMessageId) {
        const userId = s.userMessageId;
        return () => regenerateFrom(convId, userId, base.concat(user ? [{ ...user, messageId: userId }] : []));
      }
      return resend ?? undefined;
    };
    let problem: TurnProblem | null = null;
    try {
      let outcome = await call(handlers);
      if (outcome.kind === "disconnected" && !ctrl.signal.aborted && outcome.messageId) {
        // The server finishes and saves the answer regardless; pick the stream up where it broke.
        const s = outcome;
        outcome = await api.resume(convId, s.messageId!, s.lastEventId, handlers).catch(() => s);
      }
      if (!here()) return;
      if (outcome.kind === "end" && outcome.end.memoryCreated) setMemoryNote(outcome.end.memoryCreated);
      if (outcome.kind === "error") {
        const e = outcome.error;
        const rateLimited = e.code === "rate_limited";
        problem = { text: e.message || "The answer failed.", retry: e.retryable || rateLimited ? retryFrom() : undefined, rateLimited };
      } else if (outcome.kind === "disconnected") {
        problem = { text: "The connection was lost. The answer is still being saved; it appears here when you reopen the chat." };
      }
    } catch (err) {
      if (!here()) return;
      if (restore && !start) restore();
      // Refused outright (blocked, limited, invalid): an empty chat made for it would only clutter the list.
      discard = fresh && !start && err instanceof ApiError && err.status >= 400 && err.status < 500;
      if (err instanceof ApiError && err.rateLimited) {
        problem = {
          text: rateLimitText(err),
          until: err.retryAfterS != null ? Date.now() + err.retryAfterS * 1000 : undefined,
          retry: retryFrom(),
          rateLimited: true,
        };
      } else {
        const hint = user?.attachments?.length ? refusalHint(err) : null;
        const text = describeError(err);
        problem = { text: hint ? `${text} ${hint}` : text, retry: err instanceof ApiError && !err.retryable ? undefined : retryFrom() };
      }
    } finally {
      if (here() && discard) {
        shownId.current = null;
        setDetail(null);
        setPending(null);
        // The list and usage are read again once the empty chat is gone (a refusal may change usage).
        void api.deleteConversation(convId).catch(() => undefined).finally(onTurnDone);
        if (problem) setProblem(problem);
      } else if (here()) {
        announce();
        try {
          await load(convId, false);
        } catch {
          // keep showing what streamed; the next open reads it again
        }
        if (shownId.current === convId) {
          setPending(null);
          // Shown once the turn is over, so that its Retry starts a new turn rather than being ignored.
          if (problem) setProblem(problem);
          if (base.length === 0 && !problem) awaitTitle(convId);
        }
        onTurnDone();
      }
    }
  }

  /** The server names a new chat in the background after its first answer: look again shortly. */
  const titleTimers = useRef<ReturnType<typeof setTimeout>[]>([]);
  function awaitTitle(convId: string) {
    for (const delay of [1500, 4000]) {
      titleTimers.current.push(
        setTimeout(() => {
          if (shownId.current !== convId || pendingRef.current) return;
          void load(convId, false)
            .then(() => onTurnDone())
            .catch(() => undefined);
        }, delay),
      );
    }
  }
  useEffect(() => {
    const timers = titleTimers.current;
    return () => timers.forEach(clearTimeout);
  }, []);

  function attach(list: File[]) {
    setFileNote(drafts.add(list));
  }

  /** Send what the composer holds: its text and its ready files. */
  function sendDraft() {
    if (!draft.trim() || pendingRef.current || drafts.busy || blocked) return;
    setFileNote(null);
    const taken = drafts.take();
    for (const a of taken) if (a.previewUrl && a.attachmentId) thumbs.seed(a.attachmentId, a.previewUrl);
    const sent = taken.length ? { ids: taken.map((a) => a.attachmentId!), records: recordsOf(taken) } : undefined;
    void send(draft, undefined, branch, sent, taken);
  }

  /** `taken`: the composer's files that go with it, put back if the message is refused. */
  async function send(content: string, parent: string | null | undefined, base: Message[], sent?: SentFiles, taken: DraftAttachment[] = []) {
    const text = content.trim();
    if (!text || pendingRef.current) return;
    let id = shownId.current;
    let fresh = false;
    setDraft("");
    let restored = false;
    const restore = () => {
      restored = true;
      setDraft((d) => d || text);
      drafts.restore(taken);
    };
    if (!id) {
      try {
        const created = await api.createConversation({ model });
        id = created.conversationId;
        shownId.current = id;
        setDetail({
          conversationId: id,
          title: "New chat",
          model,
          createdAt: created.createdAt,
          updatedAt: created.createdAt,
          currentMessageId: null,
          messages: [],
        });
        fresh = true;
      } catch (err) {
        restore();
        setProblem({ text: describeError(err) });
        return;
      }
    }
    const convId = id;
    const body: SendRequest = { content: text, model };
    if (parent !== undefined) body.parentMessageId = parent;
    if (sent?.ids.length) body.attachments = sent.ids;
    const user: Message = {
      messageId: `pending-${Date.now()}`,
      parentMessageId: parent ?? base[base.length - 1]?.messageId ?? null,
      role: "user",
      content: text,
      createdAt: Date.now(),
      childrenIds: [],
      ...(sent?.ids.length ? { attachments: sent.ids, details: { attachments: sent.records } } : {}),
    };
    await runTurn(convId, base, user, (h) => api.sendMessage(convId, body, h), () => void send(text, parent, base, sent), restore, fresh);
    if (!restored) drafts.release(taken);
    if (parent === null) loadRoots(convId);
  }

  function regenerateFrom(convId: string, messageId: string, base: Message[]) {
    if (pendingRef.current) return;
    void runTurn(convId, base, null, (h) => api.regenerate(convId, messageId, model, h), () => regenerateFrom(convId, messageId, base), null);
  }

  const branch = detail?.messages ?? [];

  // Stable callbacks for memoised messages: they reach the latest state and functions through refs.
  const latest = useRef({ branch, roots, send, regenerateFrom });
  latest.current = { branch, roots, send, regenerateFrom };
  const actions = useMemo<MessageActions>(
    () => ({
      startEdit: (id) => setEditing(id),
      edit: (index, content) => {
        const { branch: b } = latest.current;
        const m = b[index];
        if (!m) return;
        // An edited message keeps its files (they belong to this conversation already).
        const sent = m.attachments?.length ? { ids: m.attachments, records: messageFiles(m) } : undefined;
        void latest.current.send(content, m.parentMessageId ?? null, b.slice(0, index), sent);
      },
      regenerate: (index) => {
        const { branch: b } = latest.current;
        const m = b[index];
        if (m && shownId.current) latest.current.regenerateFrom(shownId.current, m.messageId, b.slice(0, index));
      },
      switchBranch: (index, to) => {
        const { branch: b, roots: r } = latest.current;
        const id = shownId.current;
        if (!id || pendingRef.current) return;
        const target = siblingsAt(b, index, r).ids[to];
        if (!target) return;
        api
          .updateConversation(id, { currentMessageId: target })
          .then(() => load(id, false))
          .catch((err) => setProblem({ text: describeError(err) }));
      },
    }),
    [api, load],
  );

  const modelName = useCallback(
    (id: string | null | undefined) => (id ? catalog.models.find((m) => m.id === id)?.name ?? id : ""),
    [catalog],
  );

  function stop() {
    const p = pendingRef.current;
    if (!p) return;
    if (p.start) void api.stop(p.conversationId, p.start.messageId).catch((err) => setProblem({ text: describeError(err) }));
    else stopWanted.current = true;
  }

  const shown = pending ? (pending.user ? pending.base.concat([pending.user]) : pending.base) : branch;
  const from = Math.min(renderFrom, Math.max(0, shown.length - FIRST_BATCH));
  const busy = pending !== null;
  const title = detail?.title || (conversationId ? "" : "New chat");
  const archived = !!detail?.archived && !pending;

  // While the message limit is used up, Send waits, saying why and until when.
  const limitUntil = Math.max(problem?.rateLimited && problem.until ? problem.until : 0, limited?.until ?? 0);
  const limitText = problem?.rateLimited && problem.until ? problem.text : limited?.text ?? "";
  useEffect(() => {
    if (limitUntil <= Date.now()) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [limitUntil]);
  const blocked = archived
    ? "This chat is archived. Unarchive it to send messages."
    : limitUntil > now
      ? `${limitText} You can send again in ${formatDuration((limitUntil - now) / 1000)}.`
      : null;

  function unarchive() {
    const id = shownId.current;
    if (!id) return;
    api
      .updateConversation(id, { archived: false })
      .then(() => load(id, false))
      .then(onListChanged)
      .catch((err) => setProblem({ text: describeError(err) }));
  }

  return (
    <main
      class={`chat${dragging ? " dragging" : ""}`}
      aria-label="Chat"
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        dragDepth.current++;
        setDragging(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault(); // allows the drop
        if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
      }}
      onDragLeave={(e) => {
        if (!hasFiles(e)) return;
        dragDepth.current = Math.max(0, dragDepth.current - 1);
        if (dragDepth.current === 0) setDragging(false);
      }}
      onDrop={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        dragDepth.current = 0;
        setDragging(false);
        const dropped = Array.from(e.dataTransfer?.files ?? []);
        if (dropped.length) attach(dropped);
      }}
    >
      {sharing && conversationId && <ShareDialog api={api} conversationId={conversationId} onClose={() => setSharing(false)} />}
      {dragging && (
        <div class="drop-zone" aria-hidden="true">
          <Icon name="attach" size={28} />
          <span>Drop files to attach them</span>
        </div>
      )}
      <header class="chat-head">
        <button type="button" class="icon menu-btn" aria-label="Open menu" onClick={onOpenDrawer}>
          <Icon name="menu" size={20} />
        </button>
        <h1 class="chat-title" title={title}>
          {title}
        </h1>
        <ModelPicker catalog={catalog} value={model} onChange={setModel} disabled={busy} />
        {conversationId && detail && (detail.role ?? "owner") === "owner" && (
          <button type="button" class="head-share" onClick={() => setSharing(true)}>
            Share
          </button>
        )}
        {conversationId && detail?.role && detail.role !== "owner" && (
          <span class="muted head-role">Shared by {detail.ownerId} · {detail.role === "viewer" ? "view only" : "you can send"}</span>
        )}
        <button type="button" class="icon head-new-chat" aria-label="Start a new chat" title="New chat" onClick={onNewChat}>
          <Icon name="plus" size={20} />
        </button>
      </header>
      <div
        class="messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
        }}
        onClick={(e) => void onCodeCopyClick(e)}
      >
        <ThumbnailsContext.Provider value={thumbs}>
        <NearViewportContext.Provider value={near}>
        <div class="messages-inner" ref={inner}>
          {loading && !detail && <p class="muted center">Loading…</p>}
          {loadError && (
            <p class="form-error center" role="alert">
              {loadError}
            </p>
          )}
          {!conversationId && !pending && shown.length === 0 && (
            <div class="welcome">
              <h2>How can I help?</h2>
              <p class="muted">Answers stream in as they are written. Enter sends, Shift+Enter adds a line.</p>
            </div>
          )}
          {shown.slice(from).map((m, j) => {
            const i = from + j;
            const sib = siblingsAt(shown, i, roots);
            return (
              <MessageItem
                key={m.messageId}
                message={m}
                index={i}
                sibIndex={sib.index}
                sibCount={sib.ids.length}
                busy={busy}
                editing={editing === m.messageId}
                eager={i >= shown.length - EAGER_TAIL}
                actions={actions}
                modelName={modelName}
                author={m.role === "user" && m.authorId && m.authorId !== me ? m.authorId : null}
              />
            );
          })}
          {pending && <StreamingMessage live={pending.live} start={pending.start} modelName={modelName} />}
          {problem && <Notice problem={problem} onDismiss={() => setProblem(null)} />}
          {memoryNote && (
            <div class="notice memory-note" role="status">
              <span class="notice-text">
                {memoryNote.undone ? "Memory removed." : `Memory updated: ${memoryNote.content}`}
              </span>
              <span class="notice-actions">
                {!memoryNote.undone && (
                  <button
                    type="button"
                    onClick={() =>
                      void api
                        .deleteMemory(memoryNote.memoryId)
                        .then(() => setMemoryNote({ ...memoryNote, undone: true }))
                        .catch(() => setMemoryNote(null))
                    }
                  >
                    Undo
                  </button>
                )}
                <button type="button" class="icon" aria-label="Dismiss" onClick={() => setMemoryNote(null)}>
                  <Icon name="close" />
                </button>
              </span>
            </div>
          )}
        </div>
        </NearViewportContext.Provider>
        </ThumbnailsContext.Provider>
      </div>
      <div class="composer-wrap">
        {conversationId && liveChannel && (
          <LivePanel api={api} conversationId={conversationId} me={me} onChanged={() => void load(conversationId, false).catch(() => undefined)} />
        )}
        {archived && (
          <div class="archived-banner" role="status">
            <span>This chat is archived. It stays out of your chat list until you unarchive it.</span>
            <button type="button" onClick={unarchive}>
              Unarchive
            </button>
          </div>
        )}
        <Composer
          blocked={blocked}
          locked={archived}
          value={draft}
          busy={busy}
          onChange={(value: string) => {
            setDraft(value);
            if (value && conversationId && liveChannel) notifyTyping();
          }}
          onStop={stop}
          onSend={sendDraft}
          files={files}
          filesPending={files.some((a) => a.phase === "uploading" || a.phase === "processing")}
          onAttach={attach}
          onRemoveFile={(key) => {
            drafts.remove(key);
            setFileNote(null);
          }}
          fileNote={fileNote}
        />
        <p class="fine-print">
          {simulated ? "Local mode: answers come from a simulated model." : "Parley can make mistakes. Check important information."}
        </p>
      </div>
    </main>
  );
}
