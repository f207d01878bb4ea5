// Model output as Markdown, made safe: raw HTML in the text is shown as text, the produced HTML is
// sanitised by DOMPurify (no script, no event handlers, no javascript: URLs), and remote images are
// shown as links so an answer cannot make the browser fetch (or leak data to) an arbitrary URL.

import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/common";
import { Marked, type Tokens } from "marked";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function codeBlock(text: string, lang: string | undefined, highlight: boolean): string {
  const language = (lang ?? "").trim().split(/\s+/)[0].replace(/[^\w+#.-]/g, "").slice(0, 32);
  let body = escapeHtml(text);
  if (highlight && language && hljs.getLanguage(language)) {
    try {
      body = hljs.highlight(text, { language, ignoreIllegals: true }).value;
    } catch {
      // an unhighlightable block stays plain
    }
  }
  const label = language ? escapeHtml(language) : "text";
  return (
    `<div class="code-block"><div class="code-head"><span class="code-lang">${label}</span>` +
    `<button type="button" class="copy-code" aria-label="Copy code">Copy</button></div>` +
    `<pre><code class="hljs${language ? ` language-${escapeHtml(language)}` : ""}">${body}</code></pre></div>`
  );
}

function makeMarked(highlight: boolean): Marked {
  return new Marked({
    gfm: true,
    breaks: true,
    async: false,
    renderer: {
      html({ text }: Tokens.HTML | Tokens.Tag): string {
        return escapeHtml(text);
      },
      code({ text, lang }: Tokens.Code): string {
        return codeBlock(text, lang, highlight);
      },
      image({ href, text }: Tokens.Image): string {
        return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
      },
    },
  });
}

const highlighted = makeMarked(true);
// While an answer streams it is re-rendered every frame: skip highlighting to keep frames short.
const plain = makeMarked(false);

const PURIFY: Parameters<typeof DOMPurify.sanitize>[1] = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "img", "svg", "math", "video", "audio", "iframe", "object", "embed", "textarea", "select"],
  FORBID_ATTR: ["style", "srcset"],
};

let hooked = false;
function purify(html: string): string {
  if (!hooked) {
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A") {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    });
    hooked = true;
  }
  return DOMPurify.sanitize(html, PURIFY) as unknown as string;
}

const cache = new Map<string, string>();
const CACHE_MAX = 2000;

/** True when `renderMarkdown(text)` would answer from its cache (no parsing). */
export function isRendered(text: string): boolean {
  return cache.has(text);
}

/** Safe HTML for an answer. `streaming`: a partial answer re-rendered often (no highlighting, no cache). */
export function renderMarkdown(text: string, streaming = false): string {
  if (streaming) return purify(plain.parse(text) as string);
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const html = purify(highlighted.parse(text) as string);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(text, html);
  return html;
}
