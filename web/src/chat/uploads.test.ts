import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../api/client";
import type { AttachmentInfo } from "../api/types";
import { ApiError } from "../api/errors";
import { DraftAttachments, draftStatus, excerptNote, MAX_FILES_PER_MESSAGE, messageFiles, refusalHint, uploadFile, type UploadUpdate } from "./uploads";

const API = "http://api.test";
const S3 = "http://127.0.0.1:9999/parley-data";
const FIELDS = { "Content-Type": "text/plain", key: "uploads/01ABC", policy: "cG9saWN5", "x-amz-signature": "sig" };

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fake `fetch` for the API and the storage URL: scripted answers per route, every request recorded. */
function fakeServer(script: {
  create?: (body: Record<string, unknown>) => Response;
  upload?: (form: FormData, n: number) => Response | Promise<Response>;
  statuses?: Array<Partial<AttachmentInfo>>;
}) {
  const seen: Seen[] = [];
  let uploads = 0;
  let reads = 0;
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const method = init.method ?? "GET";
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    seen.push({ method, url, headers, body: init.body });
    if (url === `${API}/attachments` && method === "POST") {
      const body = JSON.parse(String(init.body)) as Record<string, unknown>;
      return script.create
        ? script.create(body)
        : json(201, { attachmentId: "01ABC", uploadUrl: S3, method: "POST", fields: FIELDS, expiresAt: Date.now() + 900_000 });
    }
    if (url === S3 && method === "POST") {
      uploads++;
      return script.upload ? script.upload(init.body as FormData, uploads) : new Response(null, { status: 204 });
    }
    const m = /\/attachments\/(\w+)$/.exec(url);
    if (m && method === "GET") {
      const list = script.statuses ?? [{ status: "ready" }];
      const s = list[Math.min(reads++, list.length - 1)];
      return json(200, { attachmentId: m[1], kind: "text", filename: "notes.txt", contentType: "text/plain", size: 12, ...s });
    }
    if (m && method === "DELETE") return json(200, { ok: true });
    return json(404, { code: "not_found", message: "no route", retryable: false });
  });
  vi.stubGlobal("fetch", fetch);
  return { seen, fetch };
}

const api = () => new ApiClient({ baseUrl: API, token: async () => "tok" });
const file = (name = "notes.txt", type = "text/plain", text = "hello world\n") => new File([text], name, { type });
const fast = { sleep: async () => undefined, retryDelayMs: 1 };

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("uploading one file", () => {
  it("declares, uploads the presigned form with the file last, then reads until ready", async () => {
    const { seen } = fakeServer({ statuses: [{ status: "pending" }, { status: "pending" }, { status: "ready", tokens: 4 }] });
    const updates: UploadUpdate[] = [];
    const end = await uploadFile(api(), file(), (u) => updates.push(u), fast);

    expect(end.phase).toBe("ready");
    expect(end.info?.tokens).toBe(4);
    expect(updates.map((u) => u.phase)).toEqual(["uploading", "uploading", "processing", "ready"]);
    expect(updates.slice(1).every((u) => u.attachmentId === "01ABC")).toBe(true);

    const create = seen[0]!;
    expect(create.headers.authorization).toBe("Bearer tok");
    expect(JSON.parse(String(create.body))).toEqual({ filename: "notes.txt", contentType: "text/plain", size: 12 });

    const upload = seen[1]!;
    expect(upload.url).toBe(S3);
    expect(upload.headers.authorization).toBeUndefined(); // the signed policy is the credential
    const form = upload.body as FormData;
    expect([...form.keys()]).toEqual([...Object.keys(FIELDS), "file"]);
    expect(form.get("policy")).toBe("cG9saWN5");
    const sent = form.get("file") as File;
    expect(sent.name).toBe("notes.txt");
    expect(await sent.text()).toBe("hello world\n");

    expect(seen.slice(2).map((s) => s.method + " " + s.url)).toEqual(Array(3).fill(`GET ${API}/attachments/01ABC`));
  });

  it("omits an empty content type (the server decides from the name)", async () => {
    const { seen } = fakeServer({});
    await uploadFile(api(), file("README.md", ""), () => undefined, fast);
    expect(JSON.parse(String(seen[0]!.body))).toEqual({ filename: "README.md", size: 12 });
  });

  it("fails with the API's own words when the file is refused up front, uploading nothing", async () => {
    const message = "big.png is 9.5 MB; image files may be at most 5 MB";
    const { seen } = fakeServer({
      create: () => new Response(JSON.stringify({ code: "attachment_too_large", message, retryable: false }), { status: 413 }),
    });
    const updates: UploadUpdate[] = [];
    const end = await uploadFile(api(), file("big.png", "image/png"), (u) => updates.push(u), fast);
    expect(end).toMatchObject({ phase: "failed", error: message });
    expect(updates.map((u) => u.phase)).toEqual(["uploading", "failed"]);
    expect(seen).toHaveLength(1);
  });

  it("reports a storage refusal from its XML error", async () => {
    fakeServer({
      upload: () =>
        new Response("<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size</Message></Error>", {
          status: 400,
        }),
    });
    const end = await uploadFile(api(), file(), () => undefined, fast);
    expect(end.phase).toBe("failed");
    expect(end.error).toContain("exceeds the maximum allowed size");
  });

  it("retries an upload whose connection failed", async () => {
    const { seen } = fakeServer({
      upload: (_form, n) => (n === 1 ? Promise.reject(new TypeError("network down")) : new Response(null, { status: 204 })),
    });
    const end = await uploadFile(api(), file(), () => undefined, fast);
    expect(end.phase).toBe("ready");
    expect(seen.filter((s) => s.url === S3)).toHaveLength(2);
  });

  it("fails with the server's reason when processing fails", async () => {
    fakeServer({ statuses: [{ status: "failed", reason: { code: "extraction_failed", message: "The PDF is encrypted." } }] });
    const end = await uploadFile(api(), file(), () => undefined, fast);
    expect(end).toMatchObject({ phase: "failed", error: "The PDF is encrypted.", attachmentId: "01ABC" });
  });

  it("gives up when processing never finishes", async () => {
    fakeServer({ statuses: [{ status: "pending" }] });
    let t = 0;
    const end = await uploadFile(api(), file(), () => undefined, { ...fast, now: () => (t += 1000), processingTimeoutMs: 5000 });
    expect(end.phase).toBe("failed");
    expect(end.error).toMatch(/took too long/);
  });

  it("stops quietly when cancelled, deleting what was declared", async () => {
    const ctrl = new AbortController();
    const { seen } = fakeServer({ statuses: [{ status: "pending" }] });
    const updates: UploadUpdate[] = [];
    const done = uploadFile(api(), file(), (u) => updates.push(u), {
      ...fast,
      signal: ctrl.signal,
      sleep: async () => {
        ctrl.abort();
      },
    });
    const end = await done;
    expect(end.error).toBe("Cancelled");
    expect(updates.at(-1)?.phase).toBe("processing"); // nothing announced after the cancel
    await new Promise((r) => setTimeout(r, 0));
    expect(seen.some((s) => s.method === "DELETE" && s.url === `${API}/attachments/01ABC`)).toBe(true);
  });
});

describe("the composer's files", () => {
  const settle = () => new Promise((r) => setTimeout(r, 10));

  it("is busy until every file is processed, then hands the ready ones to a message", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fakeServer({ upload: async () => (await gate, new Response(null, { status: 204 })) });
    const drafts = new DraftAttachments(api(), { ...fast, previews: false });
    let changes = 0;
    drafts.subscribe(() => changes++);
    expect(drafts.add([file("a.txt"), file("b.md", "")])).toBeNull();
    expect(drafts.items.map((a) => [a.name, a.phase])).toEqual([
      ["a.txt", "uploading"],
      ["b.md", "uploading"],
    ]);
    expect(drafts.busy).toBe(true);
    release();
    await settle();
    expect(drafts.busy).toBe(false);
    expect(drafts.items.every((a) => a.phase === "ready" && a.attachmentId === "01ABC")).toBe(true);
    expect(draftStatus(drafts.items[0]!)).toBe("Text · 12 B");
    expect(changes).toBeGreaterThan(2);

    const taken = drafts.take();
    expect(taken.map((a) => a.name)).toEqual(["a.txt", "b.md"]);
    expect(drafts.items).toEqual([]);
    drafts.restore(taken);
    expect(drafts.items.map((a) => a.name)).toEqual(["a.txt", "b.md"]);
  });

  it("keeps a failed file with its reason and leaves it out of the message", async () => {
    const message = "setup.exe: .exe files are not supported.";
    fakeServer({
      create: (body) =>
        body.filename === "setup.exe"
          ? new Response(JSON.stringify({ code: "unsupported_media_type", message, retryable: false }), { status: 415 })
          : new Response(JSON.stringify({ attachmentId: "01OK", uploadUrl: S3, method: "POST", fields: {}, expiresAt: 0 }), { status: 201 }),
    });
    const drafts = new DraftAttachments(api(), { ...fast, previews: false });
    drafts.add([file("setup.exe", "application/octet-stream"), file("ok.txt")]);
    await settle();
    const [bad, good] = drafts.items;
    expect(bad).toMatchObject({ phase: "failed", error: message });
    expect(draftStatus(bad!)).toBe(message);
    expect(good).toMatchObject({ phase: "ready", attachmentId: "01OK" });
    expect(drafts.busy).toBe(false);
    expect(drafts.take().map((a) => a.attachmentId)).toEqual(["01OK"]);
  });

  it("refuses files over the per-message limit without uploading them", async () => {
    const { seen } = fakeServer({});
    const drafts = new DraftAttachments(api(), { ...fast, previews: false });
    const files = Array.from({ length: MAX_FILES_PER_MESSAGE + 2 }, (_, i) => file(`f${i}.txt`));
    expect(drafts.add(files)).toMatch(/up to 10 files.*2 files were not added/);
    expect(drafts.items).toHaveLength(MAX_FILES_PER_MESSAGE);
    await settle();
    expect(seen.filter((s) => s.url === `${API}/attachments`)).toHaveLength(MAX_FILES_PER_MESSAGE);
  });

  it("removing a file stops its upload and deletes it on the server", async () => {
    const { seen } = fakeServer({ statuses: [{ status: "ready" }] });
    const drafts = new DraftAttachments(api(), { ...fast, previews: false });
    drafts.add([file()]);
    await settle();
    drafts.remove(drafts.items[0]!.key);
    expect(drafts.items).toEqual([]);
    await settle();
    expect(seen.filter((s) => s.method === "DELETE").map((s) => s.url)).toEqual([`${API}/attachments/01ABC`]);
  });
});

describe("a sent message's files", () => {
  it("reads details.attachments, and names ids without a record", () => {
    const files = messageFiles({
      attachments: ["A1", "A2", "A3"],
      details: {
        attachments: [
          { id: "A1", kind: "pdf", filename: "report.pdf", chunksUsed: [0, 3], totalChunks: 7, tokens: 900, flagged: false },
          { id: "A2", kind: "image", filename: "chart.png", chunksUsed: [], totalChunks: 0 },
        ],
      },
    });
    expect(files.map((f) => f.filename)).toEqual(["report.pdf", "chart.png", "Attached file"]);
    expect(excerptNote(files[0]!)).toBe("2 of 7 excerpts used");
    expect(excerptNote(files[1]!)).toBeNull();
    expect(excerptNote({ id: "x", kind: "text", filename: "a.txt", chunksUsed: 1, totalChunks: 1 })).toBe("1 of 1 excerpt used");
  });
});

describe("a refused message with files", () => {
  it("says how to send it after all", () => {
    expect(refusalHint(new ApiError(422, "no_capable_model", "model 'parley-fast' cannot take this message (it has images)", false))).toMatch(/Choose Auto/);
    expect(refusalHint(new ApiError(400, "content_blocked", "An attached document was blocked", false))).toMatch(/Remove that document/);
    expect(refusalHint(new ApiError(429, "rate_limited", "slow down", true))).toBeNull();
    expect(refusalHint(new TypeError("offline"))).toBeNull();
  });
});
