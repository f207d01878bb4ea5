// "Shared with me": conversations other people added the signed-in user to.

import { useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import type { ConversationSummary } from "../api/types";

interface Props {
  api: ApiClient;
  activeId: string | null;
  version: number;
  onSelect(id: string): void;
}

export function SharedList({ api, activeId, version, onSelect }: Props) {
  const [items, setItems] = useState<(ConversationSummary & { role?: string })[]>([]);
  useEffect(() => {
    api
      .json<{ conversations: (ConversationSummary & { role?: string })[] }>("GET", "/conversations?shared=true&limit=50")
      .then((page) => setItems(page.conversations))
      .catch(() => undefined);
  }, [api, version]);
  if (!items.length) return null;
  return (
    <section class="shared-list" aria-label="Shared with me">
      <h2 class="muted">Shared with me</h2>
      <ul>
        {items.map((c) => (
          <li key={c.conversationId} class={`conv${c.conversationId === activeId ? " active" : ""}`}>
            <button type="button" class="conv-open" onClick={() => onSelect(c.conversationId)} title={c.title}>
              <span class="conv-title">{c.title || "New chat"}</span>
              <span class="conv-preview">{c.role === "viewer" ? "can view" : "can send"}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
