// What of a streaming answer to draw now. Markdown changes meaning as it arrives: "**Wha" shows its
// asterisks until "**" closes, "- " shows a dash until the item has words, a table's header row is a
// line of pipes until its "| --- |" row is complete. Drawn as is, text jumps back and forth each
// time such a construct completes; holding back just the unfinished construct keeps the answer
// growing smoothly (the held characters appear a token or two later).

const FENCE = /^\s*(`{3,}|~{3,})/;
const LIST_MARKER = /^\s*(?:[-*+]|\d+[.)])\s*$/;
const TABLE_LINE = /^\s*\|/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

export function settled(text: string): string {
  const start = text.lastIndexOf("\n") + 1;
  const lines = text.split("\n");
  let inFence = false;
  for (const line of lines.slice(0, -1)) if (FENCE.test(line)) inFence = !inFence;
  if (inFence) return text; // code shows exactly as written
  const last = lines[lines.length - 1];

  // A table whose rule row is not complete yet: hold back the whole block.
  if (TABLE_LINE.test(last)) {
    let first = lines.length - 1;
    while (first > 0 && TABLE_LINE.test(lines[first - 1])) first--;
    const complete = lines.slice(first, -1);
    if (!complete.some((l) => TABLE_RULE.test(l))) return lines.slice(0, first).join("\n");
  }
  if (LIST_MARKER.test(last)) return text.slice(0, start);

  let cut = text.length;
  const bold = [...last.matchAll(/\*\*/g)];
  if (bold.length % 2 === 1) cut = Math.min(cut, start + bold[bold.length - 1].index!);
  else if (/(?<!\*)\*$/.test(last)) cut = Math.min(cut, text.length - 1);
  const ticks = [...last.matchAll(/(?<!`)`(?!`)/g)];
  if (ticks.length % 2 === 1) cut = Math.min(cut, start + ticks[ticks.length - 1].index!);
  return text.slice(0, cut);
}
