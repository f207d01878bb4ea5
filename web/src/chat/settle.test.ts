import { describe, expect, it } from "vitest";
import { settled } from "./settle";

describe("settled", () => {
  it("holds back unclosed bold and inline code on the last line only", () => {
    expect(settled("Intro **bold** and **hal")).toBe("Intro **bold** and ");
    expect(settled("Use `npm ci` then `npm ru")).toBe("Use `npm ci` then ");
    expect(settled("**done**\nnext *")).toBe("**done**\nnext ");
    expect(settled("Intro **bold**")).toBe("Intro **bold**");
  });

  it("holds a list marker until its item has words", () => {
    expect(settled("Points:\n\n-")).toBe("Points:\n\n");
    expect(settled("Points:\n\n1. ")).toBe("Points:\n\n");
    expect(settled("Points:\n\n- **What")).toBe("Points:\n\n- ");
    expect(settled("Points:\n\n- It works")).toBe("Points:\n\n- It works");
  });

  it("holds a table until its rule row is complete", () => {
    expect(settled("Compared:\n\n| Aspect | Tea |")).toBe("Compared:\n");
    expect(settled("Compared:\n\n| Aspect | Tea |\n| --- | -")).toBe("Compared:\n");
    const table = "Compared:\n\n| Aspect | Tea |\n| --- | --- |\n| Cost | Lo";
    expect(settled(table)).toBe(table);
  });

  it("leaves code inside a fence alone", () => {
    const code = "Here:\n\n```python\nx = a ** 2\n- not a list\n| not a table";
    expect(settled(code)).toBe(code);
  });
});
