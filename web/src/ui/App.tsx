// The signed-in shell: sidebar with conversations and usage, the chat, sign-in when needed.

import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiClient } from "../api/client";
import type { ModelCatalog, Usage } from "../api/types";
import { completeSignIn, refresh, signOutUrl } from "../auth/cognito";
import { loadSession, saveSession, type Session } from "../auth/session";
import type { AppConfig } from "../config";
import { Chat } from "./Chat";
import { ContinueShared } from "./ContinueShared";
import { toEpochMs } from "./format";
import { SearchDialog } from "./SearchDialog";
import { Settings } from "./Settings";
import { SharedPage } from "./SharedPage";
import { Sidebar } from "./Sidebar";
import { SignIn } from "./SignIn";
import { applyTheme, loadTheme, nextTheme, type Theme } from "./theme";

const FALLBACK_CATALOG: ModelCatalog = { models: [], default: "auto" };

function routeId(): string | null {
  const m = /^#\/c\/([^/?#]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

/** A share link's id (`#/shared/<id>`): that page needs no sign-in. */
function sharedRouteId(): string | null {
  return /^#\/shared\/([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1] ?? null;
}

/** "Continue this conversation" from a share link (`#/shared/<id>/continue`): needs sign-in. */
function continueRouteId(): string | null {
  return /^#\/shared\/([A-Za-z0-9_-]+)\/continue$/.exec(location.hash)?.[1] ?? null;
}

export function navigate(id: string | null): void {
  const hash = id ? `#/c/${encodeURIComponent(id)}` : "#/";
  if (location.hash !== hash) location.hash = hash;
}

export function App({ config }: { config: AppConfig }) {
  const [sharedId, setSharedId] = useState<string | null>(sharedRouteId);
  const [continueId, setContinueId] = useState<string | null>(continueRouteId);
  const [session, setSession] = useState<Session | null>(() => {
    const s = loadSession();
    return s && s.mode === config.mode ? s : null;
  });
  const [authNote, setAuthNote] = useState<string | null>(null);
  const [conversationId, setConversationId] = useState<string | null>(routeId);
  const [catalog, setCatalog] = useState<ModelCatalog>(FALLBACK_CATALOG);
  const [usage, setUsage] = useState<Usage | null>(null);
  const [listVersion, setListVersion] = useState(0);
  const [actionCount, setActionCount] = useState(0); // chats the user made: an open menu closes
  const [chatVersion, setChatVersion] = useState(0);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [theme, setTheme] = useState<Theme>(loadTheme);
  const [searchOpen, setSearchOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [focus, setFocus] = useState<{ messageId: string; nonce: number } | null>(null);
  const sessionRef = useRef(session);
  sessionRef.current = session;

  const signOut = useCallback(
    (note: string | null = null) => {
      saveSession(null);
      setSession(null);
      setAuthNote(note);
      if (config.mode === "aws" && config.cognito && note === null) location.assign(signOutUrl(config.cognito));
    },
    [config],
  );

  const api = useMemo(
    () =>
      new ApiClient({
        baseUrl: config.apiBaseUrl,
        token: async () => {
          let s = sessionRef.current;
          if (!s) return null;
          if (s.mode === "aws" && config.cognito && s.refreshToken && s.expiresAt - Date.now() < 60_000) {
            try {
              s = await refresh(config.cognito, s);
              saveSession(s);
              sessionRef.current = s;
              setSession(s);
            } catch {
              // the API answers 401 and the person signs in again
            }
          }
          return s.token;
        },
        onUnauthorized: () => {
          if (sessionRef.current) signOut("Your session has expired. Please sign in again.");
        },
      }),
    [config, signOut],
  );

  // The hosted UI's redirect back to us carries the authorization code.
  useEffect(() => {
    if (config.mode !== "aws" || !config.cognito) return;
    completeSignIn(config.cognito)
      .then((done) => {
        if (!done) return;
        saveSession(done.session);
        setSession(done.session);
        if (done.returnTo) location.hash = done.returnTo;
      })
      .catch((err: unknown) => setAuthNote(err instanceof Error ? err.message : String(err)));
  }, [config]);

  useEffect(() => {
    const onHash = () => {
      setSharedId(sharedRouteId());
      setContinueId(continueRouteId());
      setConversationId(routeId());
      setDrawerOpen(false);
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    if (!session) return;
    api
      .models()
      .then((c) => setCatalog({ models: Array.isArray(c.models) ? c.models : [], default: c.default || "auto" }))
      .catch(() => setCatalog(FALLBACK_CATALOG));
  }, [api, session?.userId]);

  const refreshUsage = useCallback(() => {
    api
      .usage()
      .then(setUsage)
      .catch(() => setUsage(null));
  }, [api]);

  useEffect(() => {
    if (session) refreshUsage();
  }, [session?.userId, refreshUsage]);

  useEffect(() => applyTheme(theme), [theme]);

  // The phone drawer is a dialog for the keyboard: focus moves into it, Escape closes it, and focus
  // goes back to the button that opened it.
  const drawerWasOpen = useRef(false);
  useEffect(() => {
    if (drawerOpen) {
      drawerWasOpen.current = true;
      document.querySelector<HTMLElement>(".sidebar .new-chat")?.focus();
      const onKey = (e: KeyboardEvent) => {
        if (e.key === "Escape" && !e.defaultPrevented && !document.querySelector(".modal")) setDrawerOpen(false);
      };
      addEventListener("keydown", onKey);
      return () => removeEventListener("keydown", onKey);
    }
    if (drawerWasOpen.current) {
      drawerWasOpen.current = false;
      document.querySelector<HTMLElement>(".chat-head .menu-btn")?.focus();
    }
  }, [drawerOpen]);

  // Used up (as GET /usage last said): Send waits until the window resets.
  const requests = usage?.requests;
  const resetAt = toEpochMs(requests?.resetAt);
  const limited =
    requests && typeof requests.remaining === "number" && requests.remaining <= 0 && resetAt !== null && resetAt > Date.now()
      ? { until: resetAt, text: requests.limit ? `You have reached your limit of ${requests.limit} messages for now.` : "You have reached your message limit for now." }
      : null;

  // Ctrl+K (Cmd+K on a Mac) opens search from anywhere, as in other chat clients.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setSearchOpen(true);
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
  const closeSearch = useCallback(() => setSearchOpen(false), []);
  const closeSettings = useCallback(() => setSettingsOpen(false), []);
  const openCopy = useCallback((id: string) => {
    setListVersion((v) => v + 1);
    // Replaces the continue route in the history: going back shows the share page, not a second copy.
    location.replace(`#/c/${encodeURIComponent(id)}`);
  }, []);
  if (sharedId) return <SharedPage baseUrl={config.apiBaseUrl} shareId={sharedId} />;

  if (!session) {
    return (
      <SignIn
        config={config}
        api={api}
        note={authNote}
        onSignedIn={(s) => {
          saveSession(s);
          setAuthNote(null);
          setSession(s);
        }}
      />
    );
  }

  if (continueId) return <ContinueShared api={api} shareId={continueId} onCopied={openCopy} />;

  return (
    <div class={`app${drawerOpen ? " drawer-open" : ""}`}>
      <Sidebar
        api={api}
        activeId={conversationId}
        version={listVersion}
        actions={actionCount}
        usage={usage}
        session={session}
        theme={theme}
        onTheme={() => setTheme(nextTheme(theme))}
        onSignOut={() => signOut()}
        onSearch={() => setSearchOpen(true)}
        onSettings={() => setSettingsOpen(true)}
        onSelect={(id) => {
          navigate(id);
          setDrawerOpen(false);
        }}
        onNew={() => {
          navigate(null);
          setDrawerOpen(false);
        }}
        onChanged={(id, what) => {
          if (id === conversationId) {
            if (what === "deleted") navigate(null);
            else setChatVersion((v) => v + 1);
          }
        }}
        onClose={() => setDrawerOpen(false)}
      />
      <div class="scrim" onClick={() => setDrawerOpen(false)} />
      <Chat
        api={api}
        conversationId={conversationId}
        catalog={catalog}
        refreshKey={chatVersion}
        simulated={config.mode === "local"}
        me={session.userId}
        realtime={config.realtime}
        limited={limited}
        onNewChat={() => navigate(null)}
        onListChanged={() => setListVersion((v) => v + 1)}
        focus={focus}
        onOpenDrawer={() => setDrawerOpen(true)}
        onCreated={(id) => {
          setConversationId(id);
          navigate(id);
          setListVersion((v) => v + 1);
          setActionCount((n) => n + 1);
        }}
        onTurnDone={() => {
          // Not an action: an answer that ends leaves open whatever menu the user opened meanwhile.
          setListVersion((v) => v + 1);
          refreshUsage();
        }}
      />
      {searchOpen && (
        <SearchDialog
          api={api}
          onClose={closeSearch}
          onOpen={(id, messageId) => {
            setSearchOpen(false);
            setFocus(messageId ? { messageId, nonce: Date.now() } : null);
            navigate(id);
            setDrawerOpen(false);
          }}
        />
      )}
      {settingsOpen && <Settings api={api} onClose={closeSettings} />}
    </div>
  );
}
