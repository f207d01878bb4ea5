// One conversation: its active branch, the answer streaming in, and the composer. Only rendering:
// the turn's state and its steps live in `chat/useTurn.ts` (reducer: `chat/turnState.ts`).

import { useCallback, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import type { ModelCatalog } from "../api/types";
import { ThumbnailsContext } from "../chat/thumbs";
import { siblingsAt } from "../chat/tree";
import { firstRendered, shownMessages } from "../chat/turnState";
import { useTurn } from "../chat/useTurn";
import { useDraftItems } from "./Attachments";
import { Composer } from "./Composer";
import { Icon } from "./Icon";
import { NearViewportContext } from "./lazy";
import type { RealtimeConfig } from "../config";
import { LivePanel } from "./LivePanel";
import { MemoryNote } from "./MemoryNote";
import { MessageItem, onCodeCopyClick, StreamingMessage } from "./Message";
import { ModelPicker } from "./ModelPicker";
import { Notice } from "./Notice";
import { ShareDialog } from "./ShareDialog";
import { useChatScroll } from "./useChatScroll";
import { useFileDrop } from "./useFileDrop";

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
  /** The live channel's realtime endpoint (the AppSync Events protocol, in both modes). */
  realtime: RealtimeConfig;
}

/** The latest messages render their Markdown at once; older ones when scrolled near. */
const EAGER_TAIL = 6;

export function Chat({ api, conversationId, catalog, refreshKey, onCreated, onTurnDone, onOpenDrawer, simulated, onNewChat, limited, onListChanged, focus, me, realtime }: Props) {
  const { state, turn, archived, blocked, send, changeDraft } = useTurn({
    api,
    conversationId,
    catalog,
    refreshKey,
    limited,
    onCreated,
    onTurnDone,
    onListChanged,
  });
  const { detail, pending, problem, roots, memoryNote } = state;
  const [sharing, setSharing] = useState(false);
  // Bumped when the owner changes the members: the live panel then looks for its channel again (the
  // first member creates it; a removal gives it a new key).
  const [liveEpoch, setLiveEpoch] = useState(0);
  const files = useDraftItems(turn.drafts);
  const drop = useFileDrop((dropped) => turn.attach(dropped));
  const scroll = useChatScroll({
    scrollRequest: state.scrollRequest,
    live: pending?.live ?? null,
    focus,
    detail,
    renderDownTo: (index) => turn.dispatch({ type: "renderDownTo", index }),
  });

  const modelName = useCallback(
    (id: string | null | undefined) => (id ? catalog.models.find((m) => m.id === id)?.name ?? id : ""),
    [catalog],
  );

  const shown = shownMessages(state);
  const from = firstRendered(state, shown.length);
  const busy = pending !== null;
  const title = detail?.title || (conversationId ? "" : "New chat");

  return (
    <main class={`chat${drop.dragging ? " dragging" : ""}`} aria-label="Chat" {...drop.handlers}>
      {sharing && conversationId && (
        <ShareDialog api={api} conversationId={conversationId} onClose={() => setSharing(false)} onMembersChanged={() => setLiveEpoch((n) => n + 1)} />
      )}
      {drop.dragging && (
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
        <ModelPicker catalog={catalog} value={state.model} onChange={(model) => turn.dispatch({ type: "model", model })} disabled={busy} />
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
      <div class="messages" ref={scroll.scroller} onScroll={scroll.onScroll} onClick={(e) => void onCodeCopyClick(e)}>
        <ThumbnailsContext.Provider value={turn.thumbs}>
        <NearViewportContext.Provider value={scroll.near}>
        <div class="messages-inner" ref={scroll.inner}>
          {state.loading && !detail && <p class="muted center">Loading…</p>}
          {state.loadError && (
            <p class="form-error center" role="alert">
              {state.loadError}
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
                editing={state.editing === m.messageId}
                eager={i >= shown.length - EAGER_TAIL}
                actions={turn.actions}
                modelName={modelName}
                author={m.role === "user" && m.authorId && m.authorId !== me ? m.authorId : null}
              />
            );
          })}
          {pending && <StreamingMessage live={pending.live} start={pending.start} modelName={modelName} />}
          {problem && <Notice problem={problem} onDismiss={() => turn.dispatch({ type: "problem", problem: null })} />}
          {memoryNote && (
            <MemoryNote note={memoryNote} onUndo={() => turn.undoMemory()} onDismiss={() => turn.dispatch({ type: "memoryNote", note: null })} />
          )}
        </div>
        </NearViewportContext.Provider>
        </ThumbnailsContext.Provider>
      </div>
      <div class="composer-wrap">
        {conversationId && (
          <LivePanel key={liveEpoch} api={api} conversationId={conversationId} me={me} realtime={realtime} onChanged={() => void turn.load(conversationId, false).catch(() => undefined)} />
        )}
        {archived && (
          <div class="archived-banner" role="status">
            <span>This chat is archived. It stays out of your chat list until you unarchive it.</span>
            <button type="button" onClick={() => turn.unarchive()}>
              Unarchive
            </button>
          </div>
        )}
        <Composer
          blocked={blocked}
          locked={archived}
          value={state.draft}
          busy={busy}
          onChange={changeDraft}
          onStop={() => turn.stop()}
          onSend={send}
          files={files}
          filesPending={files.some((a) => a.phase === "uploading" || a.phase === "processing")}
          onAttach={(list) => turn.attach(list)}
          onRemoveFile={(key) => turn.removeFile(key)}
          fileNote={state.fileNote}
        />
        <p class="fine-print">
          {simulated ? "Local mode: answers come from a simulated model." : "Parley can make mistakes. Check important information."}
        </p>
      </div>
    </main>
  );
}
