// Search snippets arrive as HTML with <mark> around matched words; they are shown as text nodes
// (never innerHTML), so nothing in a message can become markup even if the escaping were wrong.

export interface SnippetPart {
  text: string;
  marked: boolean;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };

export function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name: string) => ENTITIES[name]);
}

export function snippetParts(html: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const re = /<mark>(.*?)<\/mark>/gs;
  let at = 0;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m.index > at) parts.push({ text: unescapeHtml(html.slice(at, m.index)), marked: false });
    parts.push({ text: unescapeHtml(m[1]), marked: true });
    at = m.index + m[0].length;
  }
  if (at < html.length) parts.push({ text: unescapeHtml(html.slice(at)), marked: false });
  return parts;
}
