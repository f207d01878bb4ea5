// Attached files: chips in the composer while they upload, and on the user message that sent them.

import { useContext, useEffect, useState } from "preact/hooks";
import type { AttachmentRecord } from "../api/types";
import { ThumbnailsContext } from "../chat/thumbs";
import { draftStatus, excerptNote, kindLabel, type DraftAttachment, type DraftAttachments } from "../chat/uploads";
import { Icon, type IconName } from "./Icon";

function kindIcon(kind: string): IconName {
  if (kind === "image") return "image";
  if (kind === "code" || kind === "json") return "code";
  return "file";
}

/** Re-render whenever the composer's files change. */
export function useDraftItems(drafts: DraftAttachments): readonly DraftAttachment[] {
  const [items, setItems] = useState(drafts.items);
  useEffect(() => {
    setItems(drafts.items);
    return drafts.subscribe(() => setItems(drafts.items));
  }, [drafts]);
  return items;
}

export function DraftChips({ items, onRemove }: { items: readonly DraftAttachment[]; onRemove(key: string): void }) {
  if (!items.length) return null;
  return (
    <ul class="chips" aria-label="Attached files">
      {items.map((a) => {
        const working = a.phase === "uploading" || a.phase === "processing";
        return (
          <li key={a.key} class={`chip ${a.phase}`} data-phase={a.phase} data-kind={a.kind} aria-busy={working}>
            <span class="chip-thumb">
              {a.previewUrl && a.phase !== "failed" ? (
                <img src={a.previewUrl} alt="" />
              ) : (
                <Icon name={a.phase === "failed" ? "alert" : kindIcon(a.kind)} size={18} />
              )}
              {working && <span class="spinner" aria-hidden="true" />}
            </span>
            <span class="chip-text">
              <span class="chip-name" title={a.name}>
                {a.name}
              </span>
              <span class="chip-status" role={a.phase === "failed" ? "alert" : "status"}>
                {draftStatus(a)}
              </span>
            </span>
            <button type="button" class="icon chip-remove" aria-label={`Remove ${a.name}`} title="Remove" onClick={() => onRemove(a.key)}>
              <Icon name="close" size={14} />
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** A sent image's thumbnail, like the draft chip's; the image icon until (or unless) it loads. */
function SentImage({ id }: { id: string }) {
  const thumbs = useContext(ThumbnailsContext);
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void thumbs?.get(id).then((u) => live && setUrl(u));
    return () => {
      live = false;
    };
  }, [thumbs, id]);
  return url ? <img src={url} alt="" /> : <Icon name="image" size={18} />;
}

/** The files a sent user message carried, with how much of each document reached the model. */
export function MessageFiles({ files }: { files: readonly AttachmentRecord[] }) {
  if (!files.length) return null;
  return (
    <ul class="msg-files" aria-label="Attached files">
      {files.map((f) => {
        const note = excerptNote(f);
        return (
          <li key={f.id} class="chip sent" data-kind={f.kind} data-attachment-id={f.id}>
            <span class="chip-thumb">
              {f.kind === "image" ? <SentImage id={f.id} /> : <Icon name={kindIcon(f.kind)} size={18} />}
            </span>
            <span class="chip-text">
              <span class="chip-name" title={f.filename}>
                {f.filename}
              </span>
              <span class="chip-status">
                {note ?? kindLabel(f.kind)}
                {f.flagged && " · flagged by the safety check"}
              </span>
            </span>
          </li>
        );
      })}
    </ul>
  );
}
