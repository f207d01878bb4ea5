// Conversations, newest first, loaded a page at a time as the list scrolls; rename, archive, delete.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";
import type { ConversationSummary, Usage } from "../api/types";
import type { Session } from "../auth/session";
import { Confirm } from "./Confirm";
import { relativeTime } from "./format";
import { Icon } from "./Icon";
import { chosen, Menu } from "./Menu";
import type { Theme } from "./theme";
import { SharedList } from "./SharedList";
import { UsagePanel } from "./Usage";

interface Props {
  api: ApiClient;
  activeId: string | null;
  /** The list changed: read it again. */
  version: number;
  /** The user made a chat (sent its first message): an open menu closes. */
  actions: number;
  usage: Usage | null;
  session: Session;
  theme: Theme;
  onTheme(): void;
  onSignOut(): void;
  onSearch(): void;
  onSettings(): void;
  onSelect(id: string): void;
  onNew(): void;
  onChanged(id: string, what: "renamed" | "archived" | "unarchived" | "deleted"): void;
  onClose(): void;
}

const PAGE = 30;

export function Sidebar(p: Props) {
  const [archived, setArchived] = useState(false);
  const [items, setItems] = useState<ConversationSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [menuFor, setMenuFor] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; title: string } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<ConversationSummary | null>(null);
  const seq = useRef(0);
  /** The "⋯" button of the open menu (focus goes back to it). */
  const menuButton = useRef<HTMLButtonElement | null>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const sentinelRef = useRef<HTMLDivElement>(null);
  const state = useRef({ cursor, done, loading });
  state.current = { cursor, done, loading };

  const itemsRef = useRef(items);
  itemsRef.current = items;
  /** Which list (active or archived) the items were loaded for. */
  const loadedFor = useRef<boolean | null>(null);

  // A menu never outlives what it was opened on: another chat, a new chat, a sent message (a click
  // outside closes it too); an answer or a title that arrives meanwhile leaves it open.
  useEffect(() => setMenuFor(null), [p.activeId, p.actions]);

  // The title box takes focus when it opens (from the menu, focus was just put back on "⋯").
  const renamingId = renaming?.id;
  useEffect(() => {
    if (renamingId) listRef.current?.querySelector<HTMLInputElement>(".rename-input")?.focus();
  }, [renamingId]);

  /** Focus the "⋯" button of a chat again (after renaming it, say). */
  function focusActions(id: string) {
    setTimeout(() => listRef.current?.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(id)}"] .conv-menu-btn`)?.focus(), 0);
  }

  // First page: on mount, after each change, and when switching between active and archived.
  useEffect(() => {
    const mine = ++seq.current;
    const refresh = loadedFor.current === archived;
    setLoading(true);
    setError(null);
    p.api
      .listConversations({ archived, limit: PAGE })
      .then((page) => {
        if (mine !== seq.current) return;
        const prev = itemsRef.current;
        if (refresh && prev.length > page.conversations.length) {
          // A refresh after a change keeps the pages already scrolled to (and their cursor): only
          // the newest entries move, to the top.
          const fresh = new Set(page.conversations.map((x) => x.conversationId));
          setItems([...page.conversations, ...prev.filter((x) => !fresh.has(x.conversationId))]);
          return;
        }
        loadedFor.current = archived;
        setItems(page.conversations);
        setCursor(page.nextCursor ?? null);
        setDone(!page.nextCursor);
      })
      .catch((err) => mine === seq.current && setError(describeError(err)))
      .finally(() => mine === seq.current && setLoading(false));
  }, [p.api, p.version, archived]);

  const loadMore = useCallback(() => {
    const { cursor: c, done: d, loading: l } = state.current;
    if (l || d || !c) return;
    const mine = ++seq.current;
    setLoading(true);
    p.api
      .listConversations({ archived, limit: PAGE, cursor: c })
      .then((page) => {
        if (mine !== seq.current) return;
        setItems((prev) => {
          const seen = new Set(prev.map((x) => x.conversationId));
          return [...prev, ...page.conversations.filter((x) => !seen.has(x.conversationId))];
        });
        setCursor(page.nextCursor ?? null);
        setDone(!page.nextCursor);
      })
      .catch((err) => mine === seq.current && setError(describeError(err)))
      .finally(() => mine === seq.current && setLoading(false));
  }, [p.api, archived]);

  // The next page loads when the end of the list scrolls into view.
  useEffect(() => {
    const el = sentinelRef.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(), {
      root: listRef.current,
      rootMargin: "200px",
    });
    io.observe(el);
    return () => io.disconnect();
  }, [loadMore, items.length, done]);

  async function change(c: ConversationSummary, what: "renamed" | "archived" | "unarchived" | "deleted", title?: string) {
    const before = items;
    setMenuFor(null);
    if (what === "renamed") setItems(items.map((x) => (x.conversationId === c.conversationId ? { ...x, title: title! } : x)));
    else setItems(items.filter((x) => x.conversationId !== c.conversationId));
    try {
      if (what === "deleted") await p.api.deleteConversation(c.conversationId);
      else if (what === "renamed") await p.api.updateConversation(c.conversationId, { title });
      else await p.api.updateConversation(c.conversationId, { archived: what === "archived" });
      p.onChanged(c.conversationId, what);
    } catch (err) {
      setItems(before);
      setError(describeError(err));
    }
  }

  function showList(wantArchived: boolean) {
    if (wantArchived === archived) return;
    setArchived(wantArchived);
    setItems([]);
    setCursor(null);
    setDone(false);
    setMenuFor(null);
  }

  function commitRename() {
    if (!renaming) return;
    const c = items.find((x) => x.conversationId === renaming.id);
    const title = renaming.title.trim();
    setRenaming(null);
    focusActions(renaming.id);
    if (c && title && title !== c.title) void change(c, "renamed", title);
  }

  const themeLabel = p.theme === "system" ? "Theme: system" : p.theme === "light" ? "Theme: light" : "Theme: dark";

  return (
    <aside class="sidebar" aria-label="Conversations">
      <div class="sidebar-top">
        <button
          type="button"
          class="new-chat"
          onClick={() => {
            setMenuFor(null);
            p.onNew();
          }}
        >
          <Icon name="plus" /> New chat
        </button>
        <button type="button" class="icon close-drawer" aria-label="Close menu" onClick={p.onClose}>
          <Icon name="close" size={18} />
        </button>
      </div>
      <div class="tabs" role="tablist">
        <button role="tab" type="button" aria-selected={!archived} class={!archived ? "on" : ""} onClick={() => showList(false)}>
          Chats
        </button>
        <button role="tab" type="button" aria-selected={archived} class={archived ? "on" : ""} onClick={() => showList(true)}>
          Archived
        </button>
      </div>
      <div class="conv-list" ref={listRef}>
        {!archived && <SharedList api={p.api} activeId={p.activeId} version={p.version} onSelect={p.onSelect} />}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        {items.length === 0 && !loading && !error && <p class="muted empty-list">{archived ? "No archived chats." : "No chats yet."}</p>}
        <ul>
          {items.map((c) => (
            <li
              key={c.conversationId}
              class={`conv${c.conversationId === p.activeId ? " active" : ""}`}
              data-conversation-id={c.conversationId}
            >
              {renaming?.id === c.conversationId ? (
                <input
                  class="rename-input"
                  aria-label="New title"
                  value={renaming.title}
                  maxLength={200}
                  onInput={(e) => setRenaming({ id: c.conversationId, title: e.currentTarget.value })}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") commitRename();
                    if (e.key === "Escape") {
                      setRenaming(null);
                      focusActions(c.conversationId);
                    }
                  }}
                  onBlur={commitRename}
                />
              ) : (
                <button type="button" class="conv-open" onClick={() => p.onSelect(c.conversationId)} title={c.title}>
                  <span class="conv-title">{c.title || "New chat"}</span>
                  {c.preview && <span class="conv-preview">{c.preview}</span>}
                  <span class="conv-time">{relativeTime(c.lastUpdated)}</span>
                </button>
              )}
              <button
                type="button"
                class="icon conv-menu-btn"
                aria-label={`Actions for ${c.title || "chat"}`}
                aria-haspopup="menu"
                aria-expanded={menuFor === c.conversationId}
                onClick={(e) => {
                  menuButton.current = e.currentTarget;
                  setMenuFor(menuFor === c.conversationId ? null : c.conversationId);
                }}
              >
                <Icon name="more" />
              </button>
              {menuFor === c.conversationId && (
                <Menu button={menuButton.current} label={`Actions for ${c.title || "chat"}`} onClose={() => setMenuFor(null)}>
                  <button type="button" role="menuitem" tabIndex={-1} onClick={() => chosen(menuButton.current, () => setMenuFor(null), () => setRenaming({ id: c.conversationId, title: c.title }))}>
                    Rename
                  </button>
                  <button type="button" role="menuitem" tabIndex={-1} onClick={() => chosen(menuButton.current, () => setMenuFor(null), () => void change(c, archived ? "unarchived" : "archived"))}>
                    {archived ? "Unarchive" : "Archive"}
                  </button>
                  <button type="button" role="menuitem" tabIndex={-1} class="danger-text" onClick={() => chosen(menuButton.current, () => setMenuFor(null), () => setConfirmDelete(c))}>
                    Delete
                  </button>
                </Menu>
              )}
            </li>
          ))}
        </ul>
        <div ref={sentinelRef} class="sentinel" aria-hidden="true" />
        {loading && <p class="muted loading">Loading…</p>}
      </div>
      <div class="sidebar-foot">
        <UsagePanel usage={p.usage} />
        <div class="account">
          <span class="who" title={p.session.userId}>
            {p.session.userId}
          </span>
          <button type="button" class="icon" onClick={p.onTheme} aria-label={themeLabel} title={themeLabel}>
            <Icon name={p.theme === "dark" ? "moon" : p.theme === "light" ? "sun" : "system"} />
          </button>
          <button type="button" class="link" onClick={p.onSearch} title="Search chats (Ctrl+K)">
            Search
          </button>
          <button type="button" class="link" onClick={p.onSettings}>
            Settings
          </button>
          <button type="button" class="link" onClick={p.onSignOut}>
            Sign out
          </button>
        </div>
      </div>
      {confirmDelete && (
        <Confirm
          title="Delete chat?"
          body={`“${confirmDelete.title || "New chat"}” and all its messages will be deleted. This cannot be undone.`}
          confirmLabel="Delete"
          danger
          onCancel={() => setConfirmDelete(null)}
          onConfirm={() => {
            const c = confirmDelete;
            setConfirmDelete(null);
            void change(c, "deleted");
          }}
        />
      )}
    </aside>
  );
}
