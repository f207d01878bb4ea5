// A share link, opened: the snapshot, read-only, with no sign-in.

import { useEffect, useState } from "preact/hooks";
import { renderMarkdown } from "../chat/markdown";

interface Snapshot {
  title: string;
  sharedAt: number;
  messages: { messageId: string; role: string; content: string; authorId?: string | null }[];
}

export function SharedPage({ baseUrl, shareId }: { baseUrl: string; shareId: string }) {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    fetch(`${baseUrl}/shared/${encodeURIComponent(shareId)}`)
      .then(async (r) => (r.ok ? setSnapshot((await r.json()) as Snapshot) : setError("This link does not exist or was revoked.")))
      .catch(() => setError("The shared chat could not be loaded."));
  }, [baseUrl, shareId]);
  return (
    <main class="shared-page" aria-label="Shared chat">
      {error && (
        <p class="form-error center" role="alert">
          {error}
        </p>
      )}
      {snapshot && (
        <>
          <h1>{snapshot.title}</h1>
          <p class="muted">Shared {new Date(snapshot.sharedAt).toLocaleString()} · read-only</p>
          <p>
            {/* Copies it into the reader's own account (signing in first when needed), then opens it. */}
            <button type="button" class="primary" onClick={() => (location.hash = `#/shared/${encodeURIComponent(shareId)}/continue`)}>
              Continue this conversation
            </button>
          </p>
          {snapshot.messages.map((m) => (
            <article key={m.messageId} class={`msg ${m.role}`} data-role={m.role}>
              {m.role === "user" && m.authorId && <div class="msg-author muted">{m.authorId}</div>}
              <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(m.content, false) }} />
            </article>
          ))}
        </>
      )}
    </main>
  );
}
