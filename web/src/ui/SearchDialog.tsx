// Search across the person's conversations (Ctrl/Cmd+K): results as they type, Enter or a click
// opens the conversation at the message.

import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";
import type { SearchResult } from "../api/types";
import { relativeTime } from "./format";
import { snippetParts } from "./snippet";

interface Props {
  api: ApiClient;
  onOpen(conversationId: string, messageId: string | null): void;
  onClose(): void;
}

const DEBOUNCE_MS = 200;

export function SearchDialog({ api, onOpen, onClose }: Props) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<SearchResult[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const [searched, setSearched] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const seq = useRef(0);

  useEffect(() => {
    input.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);

  useEffect(() => {
    const mine = ++seq.current;
    if (!q.trim()) {
      setResults([]);
      setCursor(null);
      setSearched(false);
      return;
    }
    const t = setTimeout(() => {
      api
        .search(q)
        .then((page) => {
          if (mine !== seq.current) return;
          setResults(page.results);
          setCursor(page.nextCursor ?? null);
          setError(null);
          setActive(0);
          setSearched(true);
        })
        .catch((err: unknown) => mine === seq.current && setError(describeError(err)));
    }, DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [api, q]);

  const more = () => {
    if (!cursor) return;
    const mine = seq.current;
    api
      .search(q, cursor)
      .then((page) => {
        if (mine !== seq.current) return;
        setResults((r) => r.concat(page.results));
        setCursor(page.nextCursor ?? null);
      })
      .catch((err: unknown) => setError(describeError(err)));
  };

  const open = (r: SearchResult) => onOpen(r.conversationId, r.messageId);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((i) => Math.min(i + 1, results.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((i) => Math.max(i - 1, 0));
    } else if (e.key === "Enter" && results[active]) {
      e.preventDefault();
      open(results[active]);
    }
  };

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="modal search-dialog" role="dialog" aria-modal="true" aria-label="Search chats">
        <input
          ref={input}
          type="search"
          class="search-input"
          placeholder="Search your chats"
          aria-label="Search your chats"
          maxLength={500}
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
          onKeyDown={onKeyDown}
        />
        {error && <p class="muted search-error">{error}</p>}
        {searched && !results.length && !error && <p class="muted">No results.</p>}
        <ul class="search-results" role="listbox">
          {results.map((r, i) => (
            <li key={`${r.conversationId}:${r.messageId ?? "title"}`} role="option" aria-selected={i === active}>
              <button type="button" class={i === active ? "active" : ""} onClick={() => open(r)} onMouseEnter={() => setActive(i)}>
                <span class="search-title">
                  {r.title || "New chat"}
                  <span class="muted"> · {r.role === "title" ? "title" : r.role} · {relativeTime(r.createdAt)}</span>
                </span>
                <span class="search-snippet">
                  {snippetParts(r.snippet).map((p, k) => (p.marked ? <mark key={k}>{p.text}</mark> : p.text))}
                </span>
              </button>
            </li>
          ))}
        </ul>
        {cursor && (
          <button type="button" class="link" onClick={more}>
            More results
          </button>
        )}
      </div>
    </div>
  );
}
