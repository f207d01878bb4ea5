// Branch navigation: a message's siblings are its parent's children (the roots, for a first message).

import type { Message } from "../api/types";

export interface Siblings {
  ids: string[];
  index: number;
}

/** Siblings of `branch[i]`; `rootIds` are the tree's parentless messages (oldest first). */
export function siblingsAt(branch: Message[], i: number, rootIds: string[]): Siblings {
  const m = branch[i];
  const ids = i > 0 ? branch[i - 1].childrenIds : m.parentMessageId === null && rootIds.length ? rootIds : [m.messageId];
  const index = ids.indexOf(m.messageId);
  return index === -1 ? { ids: [m.messageId], index: 0 } : { ids, index };
}

/** The parentless messages of a whole tree, oldest first. */
export function rootsOf(all: Message[]): string[] {
  return all
    .filter((m) => !m.parentMessageId)
    .sort((a, b) => a.createdAt - b.createdAt || (a.messageId < b.messageId ? -1 : 1))
    .map((m) => m.messageId);
}

/** A note for an answer built from a shortened history, or null. */
export function contextNote(m: Pick<Message, "contextTrimmed" | "details">): string | null {
  const d = m.details ?? {};
  const summary = Boolean(d.summaryUsed ?? d.summary_used);
  const trimmed = Boolean(m.contextTrimmed ?? d.contextTrimmed);
  if (summary) return "Earlier messages were summarised to fit the model's context window.";
  if (trimmed) return "Earlier messages were left out to fit the model's context window.";
  return null;
}
