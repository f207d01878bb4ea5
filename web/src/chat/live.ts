// The text of an answer while it streams. Deltas are appended as they arrive and drawn into the DOM in
// the next animation frame (one DOM write per frame however many deltas came), bypassing the virtual
// DOM so that a long conversation is not re-rendered per token.

import { renderMarkdown } from "./markdown";
import { perf } from "./perf";
import { settled } from "./settle";

export class LiveText {
  text = "";
  private el: HTMLElement | null = null;
  private frame = 0;
  /** Arrival times of deltas not yet on screen (for the arrival-to-paint figures). */
  private waiting: number[] = [];
  private listeners = new Set<() => void>();

  append(delta: string, arrivedAt: number = performance.now()): void {
    this.text += delta;
    this.waiting.push(arrivedAt);
    if (!this.frame) this.frame = requestAnimationFrame(this.draw);
  }

  /** Replace the whole text (a resumed stream starts over from the saved answer). */
  reset(text: string): void {
    this.text = text;
    if (!this.frame) this.frame = requestAnimationFrame(this.draw);
  }

  attach(el: HTMLElement | null): void {
    this.el = el;
    if (el) this.paint();
  }

  /** Called after each frame that changed the text (e.g. to keep the view scrolled to the end). */
  onDraw(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private paint(): void {
    if (!this.el) return;
    this.el.innerHTML = this.text ? renderMarkdown(settled(this.text), true) : "";
    this.el.classList.toggle("empty", !this.text);
  }

  private draw = (): void => {
    this.frame = 0;
    this.paint();
    const committed = performance.now();
    if (this.el && this.waiting.length) perf.recordCommit(this.waiting, committed);
    this.waiting = [];
    for (const fn of this.listeners) fn();
  };

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.el = null;
    this.listeners.clear();
  }
}
