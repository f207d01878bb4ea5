import { describe, expect, it } from "vitest";
import { snippetParts, unescapeHtml } from "./snippet";

describe("snippetParts", () => {
  it("splits marked words from the rest and unescapes both", () => {
    expect(snippetParts("I was <mark>running</mark> to the caf&#x27;e &amp; <mark>&lt;b&gt;</mark>")).toEqual([
      { text: "I was ", marked: false },
      { text: "running", marked: true },
      { text: " to the caf'e & ", marked: false },
      { text: "<b>", marked: true },
    ]);
  });

  it("keeps escaped markup as text", () => {
    const parts = snippetParts("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(parts).toEqual([{ text: "<script>alert(1)</script>", marked: false }]);
  });

  it("unescapes once, not twice", () => {
    expect(unescapeHtml("&amp;lt;")).toBe("&lt;");
  });
});
