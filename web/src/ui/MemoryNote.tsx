// "Memory updated" after a turn whose message asked to remember something, with Undo.

import type { MemoryNote as Note } from "../chat/turnState";
import { Icon } from "./Icon";

export function MemoryNote({ note, onUndo, onDismiss }: { note: Note; onUndo(): void; onDismiss(): void }) {
  return (
    <div class="notice memory-note" role="status">
      <span class="notice-text">{note.undone ? "Memory removed." : `Memory updated: ${note.content}`}</span>
      <span class="notice-actions">
        {!note.undone && (
          <button type="button" onClick={onUndo}>
            Undo
          </button>
        )}
        <button type="button" class="icon" aria-label="Dismiss" onClick={onDismiss}>
          <Icon name="close" />
        </button>
      </span>
    </div>
  );
}
