// The message box: Enter sends, Shift+Enter starts a new line; the button stops a running answer.
// Files come in through the attach button, by pasting, or by dropping them on the chat.

import { useLayoutEffect, useRef } from "preact/hooks";
import type { DraftAttachment } from "../chat/uploads";
import { DraftChips } from "./Attachments";
import { Icon } from "./Icon";

interface Props {
  value: string;
  busy: boolean;
  onChange(v: string): void;
  onSend(): void;
  onStop(): void;
  files: readonly DraftAttachment[];
  /** Some file is still uploading or being processed: sending waits for it. */
  filesPending: boolean;
  onAttach(files: File[]): void;
  onRemoveFile(key: string): void;
  /** A note about files that were not added (over the per-message limit). */
  fileNote: string | null;
  /** Why sending waits (a used-up message limit, an archived chat); shown under the box. */
  blocked?: string | null;
  /** Nothing can be typed either (an archived chat). */
  locked?: boolean;
}

/** Files pasted on their own (a screenshot, files copied in a file manager), not rich text whose copy
 * also carries a picture of itself. */
function pastedFiles(data: DataTransfer | null): File[] {
  if (!data || data.types.includes("text/html")) return [];
  return Array.from(data.files);
}

export function Composer({ value, busy, onChange, onSend, onStop, files, filesPending, onAttach, onRemoveFile, fileNote, blocked, locked }: Props) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  // Grow with the text up to a limit, then scroll inside.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [value]);
  const canSend = !busy && !filesPending && !blocked && value.trim() !== "";
  return (
    <form
      class="composer"
      aria-label="Compose message"
      onSubmit={(e) => {
        e.preventDefault();
        if (canSend) onSend();
      }}
    >
      <DraftChips items={files} onRemove={onRemoveFile} />
      {blocked && (
        <p class="composer-note blocked" id="composer-blocked" role="status">
          {blocked}
        </p>
      )}
      {fileNote && (
        <p class="composer-note" role="alert">
          {fileNote}
        </p>
      )}
      <div class="composer-row">
        <button
          type="button"
          class="icon attach"
          disabled={locked}
          aria-label="Attach files"
          title="Attach files (or paste or drop them here)"
          onClick={() => picker.current?.click()}
        >
          <Icon name="attach" size={20} />
        </button>
        <input
          ref={picker}
          type="file"
          multiple
          class="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            const input = e.currentTarget;
            const chosen = Array.from(input.files ?? []);
            input.value = ""; // choosing the same file again still fires a change
            if (chosen.length) onAttach(chosen);
            ref.current?.focus();
          }}
        />
        <textarea
          ref={ref}
          aria-label="Message"
          placeholder="Message Parley"
          rows={1}
          value={value}
          disabled={locked}
          aria-describedby={blocked ? "composer-blocked" : undefined}
          onInput={(e) => onChange(e.currentTarget.value)}
          onPaste={(e) => {
            const pasted = pastedFiles(e.clipboardData);
            if (pasted.length) {
              e.preventDefault();
              onAttach(pasted);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              if (canSend) onSend();
            }
          }}
        />
        {busy ? (
          <button type="button" class="send stop" aria-label="Stop generating" title="Stop" onClick={onStop}>
            <Icon name="stop" size={14} />
          </button>
        ) : (
          <button
            type="submit"
            class="send"
            aria-label="Send message"
            title={blocked ?? (filesPending ? "Waiting for the attached files…" : "Send (Enter)")}
            disabled={!canSend}
          >
            <Icon name="send" size={18} />
          </button>
        )}
      </div>
    </form>
  );
}
