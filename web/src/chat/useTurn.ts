// Wires a TurnController to Preact: one per API client, re-rendering on each state change, and the
// timers that belong to an open conversation (reading it again while an answer is written elsewhere,
// drawing older messages while idle, counting a message limit down).

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import type { ModelCatalog } from "../api/types";
import { typingNotifier } from "./channel";
import { Thumbnails } from "./thumbs";
import { TurnController } from "./turnController";
import { blockedReason, generatingElsewhere, isArchived, limitOf, type Limit, type TurnState } from "./turnState";
import { DraftAttachments } from "./uploads";

export interface TurnOptions {
  api: ApiClient;
  conversationId: string | null;
  catalog: ModelCatalog;
  /** Bumped by the app when the shown conversation changed elsewhere (renamed, branched). */
  refreshKey: number;
  /** The account's message limit is used up (from GET /usage): until when, and what to say. */
  limited: Limit | null;
  onCreated(id: string): void;
  onTurnDone(): void;
  onListChanged(): void;
}

export interface Turn {
  state: TurnState;
  turn: TurnController;
  archived: boolean;
  /** Why Send waits, or null. */
  blocked: string | null;
  send(): void;
  changeDraft(value: string): void;
}

const POLL_GENERATING_MS = 1500;

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

export function useTurn(o: TurnOptions): Turn {
  const { api, conversationId } = o;
  const [, rerender] = useState<TurnState | null>(null);
  const host = { defaultModel: o.catalog.default || "auto", onCreated: o.onCreated, onTurnDone: o.onTurnDone, onListChanged: o.onListChanged };
  const turn = useMemo(
    () => new TurnController(api, new DraftAttachments(api), new Thumbnails((id) => api.attachmentImage(id)), host, rerender),
    [api],
  );
  turn.host = host;
  useEffect(() => () => turn.dispose(), [turn]);
  // Read from the controller, not from the last render: a step that awaited sees what is current.
  const state = turn.state;

  useEffect(() => turn.open(conversationId), [turn, conversationId]);

  useEffect(() => {
    if (o.refreshKey) turn.refresh();
  }, [o.refreshKey]);

  const generating = generatingElsewhere(state);
  useEffect(() => {
    const id = state.shownId;
    if (!generating || !id) return;
    const t = setTimeout(() => void turn.load(id, false).catch(() => undefined), POLL_GENERATING_MS);
    return () => clearTimeout(t);
  }, [generating, state.detail]);

  useEffect(() => {
    if (state.renderFrom <= 0) return;
    return whenIdle(() => turn.dispatch({ type: "renderMore" }));
  }, [state.renderFrom]);

  // While the message limit is used up, Send waits, saying why and until when.
  const limit = limitOf(state.problem, o.limited);
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (limit.until <= Date.now()) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [limit.until]);
  const archived = isArchived(state);
  const blocked = blockedReason(archived, limit, now);

  // One throttle for the session's typing hints, sent to whichever chat is shown when it fires.
  const typingTo = useRef<string | null>(null);
  typingTo.current = conversationId;
  const notifyTyping = useMemo(() => typingNotifier(async () => (typingTo.current ? api.typing(typingTo.current) : undefined)), [api]);

  return {
    state,
    turn,
    archived,
    blocked,
    send: () => turn.sendDraft(blocked !== null),
    changeDraft: (value) => {
      turn.dispatch({ type: "draft", draft: value });
      if (value && conversationId) notifyTyping(); // members viewing it see "typing" (live channel)
    },
  };
}
