// Custom instructions: what the model should know about the person and how it should respond.

import { useEffect, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";

const MAX = 1500;

export function Settings({ api, onClose }: { api: ApiClient; onClose(): void }) {
  const [aboutMe, setAboutMe] = useState("");
  const [howToRespond, setHowToRespond] = useState("");
  const [loaded, setLoaded] = useState(false);
  const [saving, setSaving] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    api
      .getInstructions()
      .then((i) => {
        setAboutMe(i.aboutMe);
        setHowToRespond(i.howToRespond);
        setLoaded(true);
      })
      .catch((err: unknown) => setNote(describeError(err)));
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [api, onClose]);

  const save = () => {
    setSaving(true);
    setNote(null);
    api
      .putInstructions({ aboutMe, howToRespond })
      .then(() => onClose())
      .catch((err: unknown) => setNote(describeError(err)))
      .finally(() => setSaving(false));
  };

  const field = (id: string, label: string, value: string, set: (v: string) => void) => (
    <label class="settings-field" for={id}>
      <span>{label}</span>
      <textarea id={id} rows={5} maxLength={MAX} value={value} disabled={!loaded}
        onInput={(e) => set((e.target as HTMLTextAreaElement).value)} />
      <span class="muted counter">
        {value.length} / {MAX}
      </span>
    </label>
  );

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="modal settings-dialog" role="dialog" aria-modal="true" aria-labelledby="settings-title">
        <h2 id="settings-title">Custom instructions</h2>
        <p class="muted">Used in every new message of every chat.</p>
        {field("about-me", "What should Parley know about you?", aboutMe, setAboutMe)}
        {field("how-to-respond", "How should Parley respond?", howToRespond, setHowToRespond)}
        {note && <p class="search-error">{note}</p>}
        <div class="modal-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" class="primary" disabled={!loaded || saving} onClick={save}>
            Save
          </button>
        </div>
      </div>
    </div>
  );
}
