import { describe, expect, it } from "vitest";
import type { Message } from "../api/types";
import { contextNote, rootsOf, siblingsAt } from "./tree";

const msg = (messageId: string, parentMessageId: string | null, childrenIds: string[] = [], createdAt = 0): Message => ({
  messageId,
  parentMessageId,
  role: "user",
  content: "",
  createdAt,
  childrenIds,
});

describe("branches", () => {
  const u1 = msg("u1", null, ["a1", "a2", "a3"]);
  const a2 = msg("a2", "u1", []);
  it("takes siblings from the parent's children", () => {
    expect(siblingsAt([u1, a2], 1, [])).toEqual({ ids: ["a1", "a2", "a3"], index: 1 });
  });
  it("takes a first message's siblings from the roots", () => {
    expect(siblingsAt([u1, a2], 0, ["u0", "u1"])).toEqual({ ids: ["u0", "u1"], index: 1 });
    expect(siblingsAt([u1, a2], 0, [])).toEqual({ ids: ["u1"], index: 0 });
  });
  it("orders roots by creation", () => {
    expect(rootsOf([msg("b", null, [], 2), msg("x", "b"), msg("a", null, [], 1)])).toEqual(["a", "b"]);
  });
  it("notes trimmed or summarised context", () => {
    expect(contextNote({ contextTrimmed: true })).toMatch(/left out/);
    expect(contextNote({ details: { summaryUsed: true } })).toMatch(/summarised/);
    expect(contextNote({})).toBeNull();
  });
});
