// Renders Markdown only for messages near the visible part of the conversation: opening a long
// conversation then costs a plain-text DOM plus the few answers on screen, and the rest is rendered
// a few at a time as they scroll near (one shared IntersectionObserver per scroller).

import { createContext } from "preact";

export class NearViewport {
  private readonly io: IntersectionObserver;
  private readonly waiting = new Map<Element, () => void>();

  constructor(root: Element, marginPx = 1500) {
    this.io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          const fn = this.waiting.get(e.target);
          this.unobserve(e.target);
          fn?.();
        }
      },
      { root, rootMargin: `${marginPx}px 0px` },
    );
  }

  /** Call `fn` once, when `el` comes within the margin of the scroller's view. */
  observe(el: Element, fn: () => void): () => void {
    this.waiting.set(el, fn);
    this.io.observe(el);
    return () => this.unobserve(el);
  }

  private unobserve(el: Element): void {
    this.waiting.delete(el);
    this.io.unobserve(el);
  }

  disconnect(): void {
    this.io.disconnect();
    this.waiting.clear();
  }
}

export const NearViewportContext = createContext<NearViewport | null>(null);
