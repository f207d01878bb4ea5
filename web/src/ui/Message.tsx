// One message of the active branch, and the answer that is streaming in.

import { memo } from "preact/compat";
import { useContext, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Message, MessageStart } from "../api/types";
import type { LiveText } from "../chat/live";
import { isRendered, renderMarkdown } from "../chat/markdown";
import { contextNote } from "../chat/tree";
import { messageFiles } from "../chat/uploads";
import { MessageFiles } from "./Attachments";
import { turnUsage } from "./format";
import { Icon } from "./Icon";
import { NearViewportContext } from "./lazy";

export interface MessageActions {
  edit(index: number, content: string): void;
  regenerate(index: number): void;
  switchBranch(index: number, to: number): void;
  startEdit(messageId: string | null): void;
}

interface ItemProps {
  message: Message;
  index: number;
  sibIndex: number;
  sibCount: number;
  busy: boolean;
  editing: boolean;
  /** Render Markdown at once (the latest messages), not when scrolled near. */
  eager: boolean;
  actions: MessageActions;
  modelName(id: string | null | undefined): string;
  /** Another member's name, shown on their messages in a shared conversation. */
  author?: string | null;
}

function BranchNav({ index, count, disabled, onSwitch }: { index: number; count: number; disabled: boolean; onSwitch(to: number): void }) {
  if (count < 2) return null;
  return (
    <span class="branch-nav" aria-label="Versions">
      <button type="button" class="icon" aria-label="Previous version" disabled={disabled || index === 0} onClick={() => onSwitch(index - 1)}>
        <Icon name="left" />
      </button>
      <span class="branch-pos">
        {index + 1} / {count}
      </span>
      <button type="button" class="icon" aria-label="Next version" disabled={disabled || index >= count - 1} onClick={() => onSwitch(index + 1)}>
        <Icon name="right" />
      </button>
    </span>
  );
}

function finishNote(reason: string | null | undefined): string | null {
  switch (reason) {
    case "stopped":
      return "Stopped";
    case undefined:
    case null:
      return null;
    case "length":
      return "Cut off at the length limit";
    case "error":
      return "The answer was interrupted";
    case "interrupted":
      return "The server stopped while writing this answer: regenerate to finish it";
    case "content_filter":
    case "blocked":
      return "Blocked by the content policy";
    default:
      return null;
  }
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no permission or insecure origin): the older route still works.
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand("copy");
    ta.remove();
    return ok;
  }
}

/** Copy buttons inside rendered Markdown are wired once per list by delegation (the HTML is sanitised). */
export async function onCodeCopyClick(e: MouseEvent): Promise<void> {
  const btn = (e.target as HTMLElement).closest?.(".copy-code");
  if (!btn) return;
  const code = btn.closest(".code-block")?.querySelector("code")?.textContent ?? "";
  const ok = await copyText(code);
  btn.textContent = ok ? "Copied" : "Copy failed";
  setTimeout(() => (btn.textContent = "Copy"), 1500);
}

function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="icon"
      aria-label="Copy message"
      title="Copy"
      onClick={async () => {
        if (await copyText(text)) {
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        }
      }}
    >
      <Icon name={done ? "check" : "copy"} />
    </button>
  );
}

function EditBox({ initial, onSave, onCancel }: { initial: string; onSave(text: string): void; onCancel(): void }) {
  const [text, setText] = useState(initial);
  const ref = useRef<HTMLTextAreaElement>(null);
  // In the same commit that shows the box, so typing that starts at once is never moved or mixed.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el) {
      el.focus();
      el.setSelectionRange(el.value.length, el.value.length);
    }
  }, []);
  const save = () => text.trim() && onSave(text.trim());
  return (
    <div class="edit-box">
      <textarea
        ref={ref}
        aria-label="Edit message"
        value={text}
        rows={Math.min(10, Math.max(2, text.split("\n").length))}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            save();
          } else if (e.key === "Escape") onCancel();
        }}
      />
      <div class="edit-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" class="primary" onClick={save} disabled={!text.trim()}>
          Save &amp; send
        </button>
      </div>
    </div>
  );
}

/** An answer's Markdown; until it is near the view, its plain text stands in (same words, cheap). */
function Markdown({ text, eager }: { text: string; eager: boolean }) {
  const near = useContext(NearViewportContext);
  const [ready, setReady] = useState(() => eager || !near || isRendered(text));
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ready || !near || !ref.current) return;
    return near.observe(ref.current, () => setReady(true));
  }, [ready, near]);
  if (!ready) {
    return (
      <div ref={ref} key="plain" class="markdown plain">
        {text}
      </div>
    );
  }
  return <div key="html" class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />;
}

function MessageItemImpl({ message: m, index, sibIndex, sibCount, busy, editing, eager, actions, modelName, author }: ItemProps) {
  const nav = <BranchNav index={sibIndex} count={sibCount} disabled={busy} onSwitch={(to) => actions.switchBranch(index, to)} />;
  // Leaving the edit box (Escape, Cancel) gives focus back to the Edit button, unless it went elsewhere.
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(editing);
  useEffect(() => {
    if (wasEditing.current && !editing) {
      const active = document.activeElement;
      if (!active || active === document.body) editButton.current?.focus();
    }
    wasEditing.current = editing;
  }, [editing]);
  if (m.role === "user") {
    return (
      <article class="msg user" data-message-id={m.messageId} data-role="user">
        {author && <div class="msg-author muted">{author}</div>}
        <MessageFiles files={messageFiles(m)} />
        {editing ? (
          <EditBox initial={m.content} onCancel={() => actions.startEdit(null)} onSave={(t) => actions.edit(index, t)} />
        ) : (
          <>
            <div class="bubble">{m.content}</div>
            <div class="msg-actions">
              {nav}
              <CopyButton text={m.content} />
              <button ref={editButton} type="button" class="icon" aria-label="Edit message" title="Edit" disabled={busy} onClick={() => actions.startEdit(m.messageId)}>
                <Icon name="edit" />
              </button>
            </div>
          </>
        )}
      </article>
    );
  }
  const note = contextNote(m);
  const finished = m.status === "generating" ? "Still being written…" : finishNote(m.finishReason);
  const used = turnUsage(m.tokensUsed, m.cost);
  const simulated = m.details?.simulated === true;
  return (
    <article class="msg assistant" data-message-id={m.messageId} data-role="assistant">
      {note && <p class="context-note">{note}</p>}
      <Markdown text={m.content} eager={eager} />
      {finished && <p class="finish-note">{finished}</p>}
      <div class="msg-actions">
        {nav}
        <CopyButton text={m.content} />
        <button type="button" class="icon" aria-label="Regenerate" title="Regenerate" disabled={busy} onClick={() => actions.regenerate(index)}>
          <Icon name="regenerate" />
        </button>
        <span class="meta">
          {modelName(m.model)}
          {simulated && (
            <span class="sim-tag" title="Written by Parley's built-in simulator, not a language model">
              {" · simulated"}
            </span>
          )}
          {used && (
            <span class="usage-line" title={used.long}>
              {` · ${used.short}`}
            </span>
          )}
        </span>
      </div>
    </article>
  );
}

export const MessageItem = memo(MessageItemImpl);

export function StreamingMessage({ live, start, modelName }: { live: LiveText; start: MessageStart | null; modelName(id: string | null | undefined): string }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    live.attach(ref.current);
    return () => live.attach(null);
  }, [live]);
  const note = start ? contextNote({ contextTrimmed: start.contextTrimmed, details: { summaryUsed: start.summaryUsed } }) : null;
  return (
    <article class="msg assistant streaming" data-role="assistant" data-message-id={start?.messageId ?? ""} aria-busy="true">
      {note && <p class="context-note">{note}</p>}
      <div class="markdown live empty" ref={ref} aria-live="off" />
      <div class="msg-actions">
        <span class="meta">
          {start ? modelName(start.model) : "Thinking…"}
          {start?.routeReason && ` · ${start.routeReason}`}
        </span>
      </div>
    </article>
  );
}
