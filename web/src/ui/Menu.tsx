// A menu button's popup, as the WAI-ARIA menu pattern asks: focus moves to the first item when it
// opens, arrow keys / Home / End move between items, Escape and Tab close it, and so do a click or
// focus anywhere outside; closing with Escape (or choosing an item) puts focus back on the button.

import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";

interface Props {
  /** The button that opened the menu: focus returns there. */
  button: HTMLElement | null;
  label: string;
  onClose(): void;
  children: ComponentChildren;
}

const ITEMS = '[role="menuitem"]:not([disabled])';

export function Menu({ button, label, onClose, children }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useLayoutEffect(() => {
    ref.current?.querySelector<HTMLElement>(ITEMS)?.focus();
  }, []);

  // Outside: a press anywhere else, or focus moving elsewhere (Tab, a click into the composer).
  useEffect(() => {
    const outside = (e: Event) => {
      const t = e.target as Node | null;
      if (t && (ref.current?.contains(t) || button?.contains(t))) return;
      close.current();
    };
    document.addEventListener("pointerdown", outside, true);
    document.addEventListener("focusin", outside, true);
    return () => {
      document.removeEventListener("pointerdown", outside, true);
      document.removeEventListener("focusin", outside, true);
    };
  }, [button]);

  function onKeyDown(e: KeyboardEvent) {
    const items = Array.from(ref.current?.querySelectorAll<HTMLElement>(ITEMS) ?? []);
    const at = items.indexOf(document.activeElement as HTMLElement);
    const move = (i: number) => items[(i + items.length) % items.length]?.focus();
    switch (e.key) {
      case "ArrowDown":
        move(at + 1);
        break;
      case "ArrowUp":
        move(at - 1);
        break;
      case "Home":
        move(0);
        break;
      case "End":
        move(items.length - 1);
        break;
      case "Escape":
        close.current();
        button?.focus();
        break;
      case "Tab":
        close.current();
        return; // focus goes on to the next control
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  }

  return (
    <div class="menu" role="menu" aria-label={label} ref={ref} onKeyDown={onKeyDown}>
      {children}
    </div>
  );
}

/** Run a menu item's action after the menu has closed and focus is back on its button. */
export function chosen(button: HTMLElement | null, close: () => void, action?: () => void): void {
  close();
  button?.focus();
  action?.();
}
