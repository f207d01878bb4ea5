// Small formatting helpers for people.

export function relativeTime(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  const d = new Date(ms);
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric", year: d.getFullYear() === new Date(now).getFullYear() ? undefined : "numeric" });
}

export function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(n));
}

export function money(n: number): string {
  if (n === 0) return "$0";
  if (n < 0.0001) return "<$0.0001";
  if (n < 0.01) return `$${n.toFixed(4)}`;
  return `$${n.toFixed(2)}`;
}

/** Epoch seconds, epoch ms or an ISO date: epoch ms, or null. */
export function toEpochMs(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v > 1e12 ? v : v * 1000;
  if (typeof v === "string" && v) {
    const n = Number(v);
    if (Number.isFinite(n)) return toEpochMs(n);
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

/** What an answer used, said the same way everywhere: "120 in · 48 out · $0.0005", and in words for a tooltip. */
export function turnUsage(tokens: { input: number; output: number } | undefined, cost: number | undefined): { short: string; long: string } | null {
  if (!tokens || tokens.input + tokens.output <= 0) return null;
  const paid = typeof cost === "number" && cost > 0;
  const short = `${compact(tokens.input)} in · ${compact(tokens.output)} out${paid ? ` · ${money(cost)}` : ""}`;
  const long =
    `${tokens.input.toLocaleString("en")} tokens in (the context sent to the model), ` +
    `${tokens.output.toLocaleString("en")} tokens out (this answer)` +
    (paid ? `; cost ${money(cost)}` : "");
  return { short, long };
}
