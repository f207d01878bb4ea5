// The message box: Enter sends, Shift+Enter starts a new line; the button stops a running answer.

import { useLayoutEffect, useRef } from "preact/hooks";
import { Icon } from "./Icon";

interface Props {
  value: string;
  busy: boolean;
  onChange(v: string): void;
  onSend(): void;
  onStop(): void;
}

export function Composer({ value, busy, onChange, onSend, onStop }: Props) {
  const ref = useRef<HTMLTextAreaElement>(null);
  // Grow with the text up to a limit, then scroll inside.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 240)}px`;
  }, [value]);
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) onSend();
      }}
    >
      <textarea
        ref={ref}
        aria-label="Message"
        placeholder="Message Parley"
        rows={1}
        value={value}
        onInput={(e) => onChange(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            if (!busy) onSend();
          }
        }}
      />
      {busy ? (
        <button type="button" class="send stop" aria-label="Stop generating" title="Stop" onClick={onStop}>
          <Icon name="stop" size={14} />
        </button>
      ) : (
        <button type="submit" class="send" aria-label="Send message" title="Send (Enter)" disabled={!value.trim()}>
          <Icon name="send" size={18} />
        </button>
      )}
    </form>
  );
}
