// What other members do in a shared conversation, live: who is viewing, who is typing, and their
// answers as they stream. The member's own turns stream on their send as before.

import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import { LiveChannel, type LiveEvent } from "../chat/channel";

interface Props {
  api: ApiClient;
  conversationId: string;
  me: string;
  /** Another member's message or answer was saved: read the conversation again. */
  onChanged(): void;
}

interface RemoteAnswer {
  messageId: string;
  authorId: string;
  text: string;
}

export function LivePanel({ api, conversationId, me, onChanged }: Props) {
  const [typing, setTyping] = useState<string[]>([]);
  const [viewers, setViewers] = useState<string[]>([]);
  const [answer, setAnswer] = useState<RemoteAnswer | null>(null);
  const changed = useRef(onChanged);
  changed.current = onChanged;

  useEffect(() => {
    setTyping([]);
    setViewers([]);
    setAnswer(null);
    const channel = new LiveChannel(api, conversationId, (e: LiveEvent) => {
      const author = String(e.data.authorId ?? e.data.userId ?? "");
      switch (e.name) {
        case "typing":
          if (author === me) return;
          setTyping((t) => (e.data.typing ? [...t.filter((u) => u !== author), author] : t.filter((u) => u !== author)));
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
          if (author !== me) setAnswer({ messageId: String(e.data.messageId ?? ""), authorId: author, text: "" });
          return;
        case "answer_chunk":
          if (author !== me) {
            const delta = typeof e.data.delta === "string" ? e.data.delta : "";
            setAnswer((a) => (a && a.messageId === e.data.messageId ? { ...a, text: a.text + delta } : a));
          }
          return;
        case "answer_end":
        case "answer_error":
          if (author !== me) {
            setAnswer(null);
            changed.current();
          }
          return;
        case "reset":
          changed.current();
          return;
        default:
          return;
      }
    });
    return () => channel.close();
  }, [api, conversationId, me]);

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
          Viewing now: {others.join(", ")}
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
