// Where the message list is scrolled: kept at the end while the person has not scrolled away (a chat
// opened, a turn begun, an answer growing, lazily laid out messages), and a search result brought
// into view. Only the view's own refs and the DOM; the turn state says when to jump.

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { ConversationDetail } from "../api/types";
import type { LiveText } from "../chat/live";
import { NearViewport } from "./lazy";

const NEAR_BOTTOM_PX = 80;
const FOCUS_HIGHLIGHT_MS = 2500;

interface Options {
  /** Bumped by the turn state when the view should jump to the end on this render. */
  scrollRequest: number;
  /** The answer streaming in, if any. */
  live: LiveText | null;
  /** A message to show (a search result), once `detail` holds it. */
  focus: { messageId: string; nonce: number } | null | undefined;
  detail: ConversationDetail | null;
  /** Render down to this message index so that the focused message is in the DOM. */
  renderDownTo(index: number): void;
}

export function useChatScroll({ scrollRequest, live, focus, detail, renderDownTo }: Options) {
  const scroller = useRef<HTMLDivElement>(null);
  const inner = useRef<HTMLDivElement>(null);
  const [near, setNear] = useState<NearViewport | null>(null);
  const stick = useRef(true);

  const scrollToEnd = () => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  useLayoutEffect(() => {
    if (!scrollRequest) return;
    stick.current = true;
    scrollToEnd();
    // Offscreen messages are laid out lazily (content-visibility): settle once more next frame.
    requestAnimationFrame(scrollToEnd);
  }, [scrollRequest]);

  useEffect(() => {
    if (!live) return;
    return live.onDraw(() => stick.current && scrollToEnd());
  }, [live]);

  // Whatever changes the height below the fold (lazily laid out messages, Markdown replacing plain
  // text, a growing answer) keeps the view at the end while the person has not scrolled away.
  useEffect(() => {
    const el = scroller.current;
    const content = inner.current;
    if (!el || !content) return;
    const near = new NearViewport(el);
    setNear(near);
    const ro = new ResizeObserver(() => stick.current && scrollToEnd());
    ro.observe(content);
    return () => {
      ro.disconnect();
      near.disconnect();
    };
  }, []);

  // A search result opened here: render down to its message, then bring it into view.
  useEffect(() => {
    if (!focus || !detail) return;
    const at = detail.messages.findIndex((m) => m.messageId === focus.messageId);
    if (at < 0) return; // on another branch: the chat opens as usual
    renderDownTo(at);
    stick.current = false;
    const t = setTimeout(() => {
      const el = inner.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(focus.messageId)}"]`);
      if (!el) return;
      el.scrollIntoView({ block: "center" });
      el.classList.add("focused");
      setTimeout(() => el.classList.remove("focused"), FOCUS_HIGHLIGHT_MS);
    }, 50);
    return () => clearTimeout(t);
  }, [focus?.nonce, detail]);

  const onScroll = (e: { currentTarget: HTMLElement }) => {
    const el = e.currentTarget;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
  };

  return { scroller, inner, near, onScroll };
}
