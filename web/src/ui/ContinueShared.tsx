// "Continue this conversation": the share link's chat copied into the signed-in user's own account,
// then opened. Reached at `#/shared/<id>/continue` (after signing in, when that was needed).

import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";

interface Props {
  api: ApiClient;
  shareId: string;
  onCopied(conversationId: string): void;
}

export function ContinueShared({ api, shareId, onCopied }: Props) {
  const [error, setError] = useState<string | null>(null);
  const started = useRef<string | null>(null);
  useEffect(() => {
    if (started.current === shareId) return; // one copy per visit, even if the effect runs again
    started.current = shareId;
    api
      .json<{ conversationId: string }>("POST", `/shared/${encodeURIComponent(shareId)}/copy`)
      .then((copy) => onCopied(copy.conversationId))
      .catch((err: unknown) => setError(describeError(err)));
  }, [api, shareId, onCopied]);
  return (
    <main class="shared-page" aria-label="Continue this conversation">
      {error ? (
        <>
          <p class="form-error center" role="alert">
            {error}
          </p>
          <p class="center">
            <a href="#/">Back to your chats</a>
          </p>
        </>
      ) : (
        <p class="muted center" role="status">
          Copying the chat into your account…
        </p>
      )}
    </main>
  );
}
