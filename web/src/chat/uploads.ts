// Files attached to the message being written. Each one is declared to the API (which may refuse it
// at once: too large, a type Parley cannot read), uploaded straight to storage with the presigned
// form the API handed out, then read back until the server has processed it (ready, or failed with
// a reason). The composer shows each file's state; a message is sent only with ready ones.

import { withRetry } from "../api/client";
import { ApiError, describeError } from "../api/errors";
import type { AttachmentInfo, AttachmentRecord, UploadTicket } from "../api/types";

export type UploadPhase = "uploading" | "processing" | "ready" | "failed";

/** What the upload flow needs of the API client (`ApiClient` has all of it; tests pass a fake fetch). */
export interface UploadApi {
  createAttachment(body: { filename: string; contentType?: string; size: number }): Promise<UploadTicket>;
  uploadForm(url: string, form: FormData, signal?: AbortSignal): Promise<void>;
  getAttachment(id: string): Promise<AttachmentInfo>;
  deleteAttachment(id: string): Promise<unknown>;
}

export interface UploadUpdate {
  phase: UploadPhase;
  attachmentId?: string;
  /** The server's view once processed (ready, or failed with its reason). */
  info?: AttachmentInfo;
  /** Why it failed, in words for the person. */
  error?: string;
}

export interface UploadOptions {
  signal?: AbortSignal;
  /** Waits between status reads: the first read waits the first, then each the next, then the last. */
  pollDelaysMs?: readonly number[];
  /** Give up reading the status after this long (the file was stored; the server never finished). */
  processingTimeoutMs?: number;
  /** Attempts and first backoff for the upload itself (network failures and 5xx only). */
  uploadAttempts?: number;
  retryDelayMs?: number;
  sleep?(ms: number): Promise<void>;
  now?(): number;
}

/** The API's per-message limit (422 beyond it); checked here so that extra files are never uploaded. */
export const MAX_FILES_PER_MESSAGE = 10;

// Local mode processes on the first read; in AWS an S3 trigger takes a second or a few.
const POLL_DELAYS_MS = [0, 400, 700, 1000, 1500, 2000] as const;
const PROCESSING_TIMEOUT_MS = 120_000;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The words a person sees for a failed step (the API's own message says what is wrong with the file). */
export function uploadErrorText(err: unknown): string {
  if (err instanceof ApiError && err.status !== 401 && !err.rateLimited && err.message) return err.message;
  return describeError(err);
}

/** Upload one file and wait until the server has processed it. Never throws; aborting ends it quietly. */
export async function uploadFile(
  api: UploadApi,
  file: File,
  onUpdate: (u: UploadUpdate) => void,
  opts: UploadOptions = {},
): Promise<UploadUpdate> {
  const { signal } = opts;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const delays = opts.pollDelaysMs ?? POLL_DELAYS_MS;
  const cancelled: UploadUpdate = { phase: "failed", error: "Cancelled" };
  let id: string | undefined;
  const emit = (u: UploadUpdate): UploadUpdate => {
    if (!signal?.aborted) onUpdate(u);
    return u;
  };
  const fail = (error: string, info?: AttachmentInfo) => emit({ phase: "failed", attachmentId: id, error, info });

  emit({ phase: "uploading" });
  let ticket: UploadTicket;
  try {
    ticket = await api.createAttachment({ filename: file.name, contentType: file.type || undefined, size: file.size });
  } catch (err) {
    return signal?.aborted ? cancelled : fail(uploadErrorText(err));
  }
  id = ticket.attachmentId;
  // Removed while the ticket was being issued: nothing was uploaded, but the record exists.
  const abandon = () => {
    void api.deleteAttachment(ticket.attachmentId).catch(() => undefined);
    return cancelled;
  };
  if (signal?.aborted) return abandon();

  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append("file", file, file.name); // last: S3 ignores every field after the file
  emit({ phase: "uploading", attachmentId: id });
  try {
    await withRetry(() => api.uploadForm(ticket.uploadUrl, form, signal), opts.uploadAttempts ?? 3, opts.retryDelayMs ?? 400);
  } catch (err) {
    return signal?.aborted ? abandon() : fail(uploadErrorText(err));
  }
  if (signal?.aborted) return abandon();

  emit({ phase: "processing", attachmentId: id });
  const deadline = now() + (opts.processingTimeoutMs ?? PROCESSING_TIMEOUT_MS);
  for (let i = 0; ; i++) {
    const wait = delays[Math.min(i, delays.length - 1)] ?? 1000;
    if (wait > 0) await sleep(wait);
    if (signal?.aborted) return abandon();
    let info: AttachmentInfo;
    try {
      info = await api.getAttachment(id);
    } catch (err) {
      return signal?.aborted ? abandon() : fail(uploadErrorText(err));
    }
    if (signal?.aborted) return abandon();
    if (info.status === "ready") return emit({ phase: "ready", attachmentId: id, info });
    if (info.status === "failed") return fail(info.reason?.message || `The file could not be read (${info.reason?.code ?? "failed"}).`, info);
    if (now() >= deadline) return fail("The file was uploaded but reading it took too long. Remove it and try again.");
  }
}

/** One file in the composer. Replaced (never changed in place) on every update. */
export interface DraftAttachment {
  key: string;
  name: string;
  size: number;
  /** Guessed from the name until the server says. */
  kind: string;
  phase: UploadPhase;
  attachmentId?: string;
  info?: AttachmentInfo;
  error?: string;
  /** An object URL of an image's own bytes, for its thumbnail (released with the attachment). */
  previewUrl?: string;
}

const KIND_BY_EXT: Record<string, string> = {
  pdf: "pdf",
  docx: "docx",
  txt: "text",
  md: "text",
  markdown: "text",
  rst: "text",
  log: "text",
  csv: "csv",
  tsv: "csv",
  json: "json",
  jsonl: "json",
  png: "image",
  jpg: "image",
  jpeg: "image",
  gif: "image",
  webp: "image",
};
const PREVIEWABLE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/** The kind a file name suggests, before the server has classified it. */
export function guessKind(name: string, type = ""): string {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? "";
  if (KIND_BY_EXT[ext]) return KIND_BY_EXT[ext];
  if (PREVIEWABLE.has(type)) return "image";
  return "file";
}

export class DraftAttachments {
  private list: DraftAttachment[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private readonly listeners = new Set<() => void>();
  private seq = 0;

  constructor(
    private readonly api: UploadApi,
    private readonly opts: Omit<UploadOptions, "signal"> & { previews?: boolean } = {},
  ) {}

  get items(): readonly DraftAttachment[] {
    return this.list;
  }

  /** Some file is still uploading or being processed: sending must wait. */
  get busy(): boolean {
    return this.list.some((a) => a.phase === "uploading" || a.phase === "processing");
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private update(key: string, patch: Partial<DraftAttachment>): void {
    if (!this.list.some((a) => a.key === key)) return; // removed meanwhile
    this.list = this.list.map((a) => (a.key === key ? { ...a, ...patch } : a));
    this.changed();
  }

  /** Start uploading files. Returns a note for the person when some were left out (over the limit). */
  add(files: Iterable<File>): string | null {
    const all = Array.from(files);
    const room = Math.max(0, MAX_FILES_PER_MESSAGE - this.list.filter((a) => a.phase !== "failed").length);
    const taken = all.slice(0, room);
    for (const file of taken) {
      const key = `f${++this.seq}`;
      const previewUrl =
        this.opts.previews !== false && PREVIEWABLE.has(file.type) && typeof URL.createObjectURL === "function"
          ? URL.createObjectURL(file)
          : undefined;
      this.list = [...this.list, { key, name: file.name, size: file.size, kind: guessKind(file.name, file.type), phase: "uploading", previewUrl }];
      const ctrl = new AbortController();
      this.controllers.set(key, ctrl);
      void uploadFile(
        this.api,
        file,
        (u) =>
          this.update(key, {
            phase: u.phase,
            attachmentId: u.attachmentId,
            info: u.info,
            error: u.error,
            kind: u.info?.kind ?? guessKind(file.name, file.type),
          }),
        { ...this.opts, signal: ctrl.signal },
      ).finally(() => this.controllers.delete(key));
    }
    if (taken.length) this.changed();
    const left = all.length - taken.length;
    if (left <= 0) return null;
    return `You can attach up to ${MAX_FILES_PER_MESSAGE} files to one message; ${left} ${left === 1 ? "file was" : "files were"} not added.`;
  }

  /** Remove one file: stop its upload, and delete what the server already holds of it. */
  remove(key: string): void {
    const a = this.list.find((x) => x.key === key);
    if (!a) return;
    if (a.phase === "uploading" || a.phase === "processing") {
      this.controllers.get(key)?.abort(); // the upload deletes its own record once it notices
    } else if (a.attachmentId) {
      void this.api.deleteAttachment(a.attachmentId).catch(() => undefined);
    }
    this.list = this.list.filter((x) => x.key !== key);
    this.release([a]);
    this.changed();
  }

  /** For sending: the ready files, in order; the list is emptied (failed ones are deleted). */
  take(): DraftAttachment[] {
    const ready = this.list.filter((a) => a.phase === "ready" && a.attachmentId);
    for (const a of this.list) if (!ready.includes(a)) this.remove(a.key);
    this.list = [];
    this.changed();
    return ready;
  }

  /** Put files back (the message they went with was refused before its answer started). */
  restore(items: readonly DraftAttachment[]): void {
    if (!items.length) return;
    const have = new Set(this.list.map((a) => a.key));
    this.list = [...items.filter((a) => !have.has(a.key)), ...this.list];
    this.changed();
  }

  /** Free what files hold in the browser (thumbnails) once they are sent or removed. */
  release(items: readonly DraftAttachment[]): void {
    for (const a of items) if (a.previewUrl) URL.revokeObjectURL(a.previewUrl);
  }

  dispose(): void {
    for (const c of this.controllers.values()) c.abort();
    this.release(this.list);
    this.list = [];
    this.listeners.clear();
  }
}

/** What a message being sent records of its files, until the server's own record replaces it. */
export function recordsOf(items: readonly DraftAttachment[]): AttachmentRecord[] {
  return items.map((a) => ({ id: a.attachmentId ?? a.key, kind: a.info?.kind ?? a.kind, filename: a.info?.filename ?? a.name }));
}

/** The files a stored user message names (`details.attachments`), or bare ids when it has no record. */
export function messageFiles(m: { attachments?: string[]; details?: Record<string, unknown> }): AttachmentRecord[] {
  const raw = m.details?.attachments;
  const records = Array.isArray(raw)
    ? raw.filter((r): r is AttachmentRecord => !!r && typeof r === "object" && typeof (r as AttachmentRecord).id === "string")
    : [];
  const named = new Set(records.map((r) => r.id));
  const bare = (m.attachments ?? []).filter((id) => !named.has(id)).map((id) => ({ id, kind: "file", filename: "Attached file" }));
  return [...records, ...bare];
}

/** "2 of 5 excerpts used" for a document whose excerpts were chosen for the question; null otherwise. */
export function excerptNote(r: AttachmentRecord): string | null {
  if (r.kind === "image" || !r.totalChunks) return null;
  const used = Array.isArray(r.chunksUsed) ? r.chunksUsed.length : typeof r.chunksUsed === "number" ? r.chunksUsed : null;
  if (used === null) return null;
  return `${used} of ${r.totalChunks} ${r.totalChunks === 1 ? "excerpt" : "excerpts"} used`;
}

const KIND_LABEL: Record<string, string> = {
  pdf: "PDF",
  docx: "Word",
  text: "Text",
  csv: "CSV",
  json: "JSON",
  code: "Code",
  image: "Image",
};

export function kindLabel(kind: string): string {
  return KIND_LABEL[kind] ?? "File";
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The line under a file's name in the composer. */
export function draftStatus(a: DraftAttachment): string {
  switch (a.phase) {
    case "uploading":
      return "Uploading…";
    case "processing":
      return "Processing…";
    case "failed":
      return a.error ?? "Failed";
    case "ready": {
      const i = a.info;
      const extra = i?.pages ? `${i.pages} ${i.pages === 1 ? "page" : "pages"}` : i?.width && i.height ? `${i.width}×${i.height}` : fileSize(a.size);
      return `${kindLabel(a.kind)} · ${extra}${i?.truncated ? " · cut to fit" : ""}`;
    }
  }
}

/** What to add to a refused message that carried files: how to send it after all. */
export function refusalHint(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  if (err.code === "no_capable_model") return "Choose Auto to let Parley pick a model that can, or remove the file.";
  if (err.code === "content_blocked") return "Remove that document and send again.";
  return null;
}
