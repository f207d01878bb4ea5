// Light, dark, or whatever the system prefers; remembered per browser.

export type Theme = "system" | "light" | "dark";
const KEY = "parley.theme";

export function loadTheme(): Theme {
  const t = localStorage.getItem(KEY);
  return t === "light" || t === "dark" ? t : "system";
}

export function applyTheme(t: Theme): void {
  const dark = t === "dark" || (t === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  if (t === "system") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, t);
}

export function nextTheme(t: Theme): Theme {
  return t === "system" ? "light" : t === "light" ? "dark" : "system";
}
