// Which model answers: `auto` lets the server route each message; the others come from GET /models.

import type { ModelCatalog, ModelInfo } from "../api/types";

function describe(m: ModelInfo): string {
  const parts: string[] = [];
  if (m.contextWindow) parts.push(`${Math.round(m.contextWindow / 1024)}K context`);
  const pin = m.priceInPer1k ?? m.priceInPer1K;
  const pout = m.priceOutPer1k ?? m.priceOutPer1K;
  if (typeof pin === "number" && typeof pout === "number") parts.push(`$${pin}/$${pout} per 1K tokens in/out`);
  if (m.capabilities?.length) parts.push(m.capabilities.join(", "));
  return parts.join(" · ");
}

export function ModelPicker({ catalog, value, onChange, disabled }: { catalog: ModelCatalog; value: string; onChange(id: string): void; disabled?: boolean }) {
  const known = value === "auto" || catalog.models.some((m) => m.id === value);
  return (
    <label class="model-picker">
      <span class="visually-hidden">Model</span>
      <select aria-label="Model" value={value} disabled={disabled} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="auto" title="Parley picks a model for each message">
          Auto
        </option>
        {catalog.models
          .filter((m) => m.id !== "auto")
          .map((m) => (
            <option key={m.id} value={m.id} title={describe(m)}>
              {m.name || m.id}
            </option>
          ))}
        {!known && <option value={value}>{value}</option>}
      </select>
    </label>
  );
}
