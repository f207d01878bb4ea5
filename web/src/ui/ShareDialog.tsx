// The owner's Share dialog: read-only links (create, copy, revoke) and members (add with a role, remove).

import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";

interface Props {
  api: ApiClient;
  conversationId: string;
  onClose(): void;
  /** Members were added or removed (the live channel may have a new key, or exist now). */
  onMembersChanged?(): void;
}

interface ShareLink {
  shareId: string;
  createdAt: number;
}

interface Member {
  userId: string;
  role: string;
}

/** Where a share link opens in the web client (the API serves the same id at `/shared/{id}`). */
export const shareLinkUrl = (shareId: string) => `${location.origin}${location.pathname}#/shared/${shareId}`;

export function ShareDialog({ api, conversationId, onClose, onMembersChanged }: Props) {
  const [links, setLinks] = useState<ShareLink[]>([]);
  const [members, setMembers] = useState<Member[]>([]);
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState("participant");
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const base = `/conversations/${encodeURIComponent(conversationId)}`;

  const refresh = async () => {
    try {
      const [l, m] = await Promise.all([
        api.json<{ shares: ShareLink[] }>("GET", `${base}/shares`),
        api.json<{ members: Member[] }>("GET", `${base}/members`),
      ]);
      setLinks(l.shares);
      setMembers(m.members.filter((x) => x.role !== "owner"));
    } catch (err) {
      setError(describeError(err));
    }
  };
  useEffect(() => {
    void refresh();
    box.current?.querySelector<HTMLElement>("input")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [conversationId]);

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await refresh();
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="modal share-dialog" ref={box} role="dialog" aria-modal="true" aria-labelledby="share-title">
        <h2 id="share-title">Share this chat</h2>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <h3>People</h3>
        <form
          class="member-add"
          onSubmit={(e) => {
            e.preventDefault();
            const id = userId.trim();
            if (id)
              void act(async () => {
                await api.json("POST", `${base}/members`, { userId: id, role }, false);
                onMembersChanged?.();
              }).then(() => setUserId(""));
          }}
        >
          <input aria-label="User id" placeholder="User id" value={userId} maxLength={128} onInput={(e) => setUserId(e.currentTarget.value)} />
          <select aria-label="Role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            <option value="participant">Can send</option>
            <option value="viewer">Can view</option>
          </select>
          <button type="submit" class="primary">
            Add
          </button>
        </form>
        <ul class="member-list" aria-label="Members">
          {members.map((m) => (
            <li key={m.userId}>
              <span>{m.userId}</span> <span class="muted">{m.role === "viewer" ? "can view" : "can send"}</span>
              <button type="button" aria-label={`Remove ${m.userId}`} onClick={() =>
                  void act(async () => {
                    await api.call("DELETE", `${base}/members/${encodeURIComponent(m.userId)}`);
                    onMembersChanged?.();
                  })
                }
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
        <h3>Read-only links</h3>
        <p class="muted">A link shows the chat as it is now, to anyone who has it, without the system prompt.</p>
        <ul class="share-links" aria-label="Links">
          {links.map((l) => (
            <li key={l.shareId}>
              <input readOnly aria-label="Share link" value={shareLinkUrl(l.shareId)} />
              <button type="button" onClick={() => void navigator.clipboard?.writeText(shareLinkUrl(l.shareId)).catch(() => undefined)}>
                Copy
              </button>
              <button type="button" aria-label="Revoke link" onClick={() => void act(() => api.call("DELETE", `${base}/shares/${l.shareId}`))}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
        <div class="modal-actions">
          <button type="button" onClick={() => void act(() => api.json("POST", `${base}/shares`, {}, false))}>
            Create link
          </button>
          <button type="button" class="primary" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    </div>
  );
}
