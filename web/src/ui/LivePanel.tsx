// What other members do in a shared conversation, live: who is viewing, who is typing, and their
// answers as they stream. The member's own turns stream on their send as before. After a gap in the
// channel (`reset`: a reconnect, a new key) the conversation is read again and another member's
// answer that is still being written is followed through the API's resume stream, so that its
// tokens keep arriving: the live channel has no history on AWS.

import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import type { RealtimeConfig } from "../config";
import { LiveChannel, type LiveEvent } from "../chat/channel";

interface Props {
  api: ApiClient;
  conversationId: string;
  me: string;
  realtime: RealtimeConfig;
  /** Another member's message or answer was saved: read the conversation again. */
  onChanged(): void;
}

interface RemoteAnswer {
  messageId: string;
  authorId: string;
  text: string;
}

/** A "typing" hint ends by itself 5 s after its last "typing" event: each keystroke request (at most
 * one per 2 s) republishes it, so this holds even when no "stopped" comes (a Lambda frozen before
 * its timer fired). */
const TYPING_EXPIRES_MS = 5000;

export function LivePanel({ api, conversationId, me, realtime, onChanged }: Props) {
  const [typing, setTyping] = useState<string[]>([]);
  const [viewers, setViewers] = useState<string[]>([]);
  const [answer, setAnswer] = useState<RemoteAnswer | null>(null);
  const changed = useRef(onChanged);
  changed.current = onChanged;

  useEffect(() => {
    setTyping([]);
    setViewers([]);
    setAnswer(null);
    const resuming = new Set<string>(); // answers followed through the API: their live chunks are skipped
    // From a reset until the catch-up knows what to follow: the live chunks of that time come after a
    // gap (what was published while the channel was down), so none is added to the text shown.
    let catching = false;
    const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
    const abort = new AbortController();
    const stopTyping = (who: string) => {
      clearTimeout(typingTimers.get(who));
      typingTimers.delete(who);
      setTyping((t) => t.filter((u) => u !== who));
    };

    /** Follow another member's answer that is still being written, from its start, through the API. */
    const catchUp = async () => {
      const detail = await api.getConversation(conversationId).catch(() => null);
      const open = detail?.messages.find((m) => m.role === "assistant" && m.status === "generating" && m.authorId !== me);
      catching = false;
      if (!open) setAnswer(null); // an answer whose end was missed: the reload shows it saved
      if (!open || resuming.has(open.messageId) || abort.signal.aborted) return;
      resuming.add(open.messageId);
      const author = String(open.authorId ?? "");
      let text = "";
      setAnswer({ messageId: open.messageId, authorId: author, text });
      try {
        await api.resume(conversationId, open.messageId, null, {
          signal: abort.signal,
          onDelta: (delta) => {
            text += delta;
            setAnswer({ messageId: open.messageId, authorId: author, text });
          },
        });
      } catch {
        // the reload below shows whatever was saved
      } finally {
        resuming.delete(open.messageId);
        if (!abort.signal.aborted) {
          setAnswer((a) => (a && a.messageId === open.messageId ? null : a));
          changed.current();
        }
      }
    };

    const channel = new LiveChannel(api, conversationId, realtime, (e: LiveEvent) => {
      const author = String(e.data.authorId ?? e.data.userId ?? "");
      const messageId = String(e.data.messageId ?? "");
      switch (e.name) {
        case "typing":
          if (author === me) return;
          if (!e.data.typing) return stopTyping(author);
          clearTimeout(typingTimers.get(author));
          typingTimers.set(author, setTimeout(() => stopTyping(author), TYPING_EXPIRES_MS));
          setTyping((t) => [...t.filter((u) => u !== author), author]);
          return;
        case "presence":
          setViewers(Array.isArray(e.data.viewers) ? (e.data.viewers as string[]) : []);
          return;
        case "message": {
          const message = e.data.message as { authorId?: string } | undefined;
          if (message?.authorId !== me) changed.current();
          return;
        }
        case "answer_start":
          if (author !== me && !resuming.has(messageId) && !catching) {
            stopTyping(author);
            setAnswer({ messageId, authorId: author, text: "" });
          }
          return;
        case "answer_chunk":
          if (author !== me && !resuming.has(messageId) && !catching) {
            const delta = typeof e.data.delta === "string" ? e.data.delta : "";
            setAnswer((a) => (a && a.messageId === messageId ? { ...a, text: a.text + delta } : a));
          }
          return;
        case "answer_end":
        case "answer_error":
          if (author !== me && !resuming.has(messageId)) {
            setAnswer(null);
            changed.current();
          }
          return;
        case "reset":
          catching = true;
          changed.current();
          void catchUp();
          return;
        default:
          return;
      }
    });
    return () => {
      abort.abort();
      channel.close();
      for (const t of typingTimers.values()) clearTimeout(t);
    };
  }, [api, conversationId, me, realtime.url, realtime.host]);

  const others = viewers.filter((v) => v !== me);
  return (
    <div class="live-panel">
      {answer && (
        <div class="msg assistant remote-answer" aria-live="polite">
          <div class="msg-author muted">Answering {answer.authorId}</div>
          <div class="remote-text">{answer.text}</div>
        </div>
      )}
      {others.length > 0 && (
        <div class="presence muted" aria-label="Viewing now">
          {others.map((v) => (
            <span class="viewer" key={v} title={v}>
              <span class="avatar" aria-hidden="true" style={{ background: avatarColor(v) }}>
                {initials(v)}
              </span>
              {v}
            </span>
          ))}
          <span>{others.length === 1 ? "is" : "are"} viewing</span>
        </div>
      )}
      {typing.length > 0 && (
        <div class="typing-indicator muted" role="status">
          {typing.join(", ")} {typing.length === 1 ? "is" : "are"} typing…
        </div>
      )}
    </div>
  );
}

/** Up to two letters of a user id (its first two words, or its first two characters). */
export function initials(userId: string): string {
  const words = userId.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] ?? userId).slice(0, 2);
  return letters.toUpperCase();
}

/** A stable colour per person, so the same viewer looks the same on every page. */
export function avatarColor(userId: string): string {
  let hash = 0;
  for (const ch of userId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 45% 45%)`;
}
