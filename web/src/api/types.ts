// Wire types of the Parley API (JSON is camelCase). Optional fields are ones a server may omit.

export interface TokensUsed {
  input: number;
  output: number;
}

export interface Message {
  messageId: string;
  parentMessageId: string | null;
  role: "user" | "assistant" | "system";
  content: string;
  model?: string | null;
  createdAt: number;
  tokensUsed?: TokensUsed;
  finishReason?: string | null;
  cost?: number;
  attachments?: string[];
  childrenIds: string[];
  status?: string;
  contextTrimmed?: boolean;
  details?: Record<string, unknown>;
  /** Who sent it (user messages) or asked for it (answers). */
  authorId?: string | null;
}

export interface ConversationDetail {
  conversationId: string;
  title: string;
  model: string;
  createdAt: number;
  updatedAt: number;
  currentMessageId: string | null;
  archived?: boolean;
  /** The caller's access: "owner", or "participant" / "viewer" in a conversation shared with them. */
  role?: string;
  ownerId?: string;
  messages: Message[];
}

export interface MessageTree {
  conversationId: string;
  currentMessageId: string | null;
  messages: Message[];
}

export interface ConversationSummary {
  conversationId: string;
  title: string;
  preview: string;
  lastUpdated: number;
  model: string;
  archived?: boolean;
}

export interface ConversationPage {
  conversations: ConversationSummary[];
  nextCursor?: string | null;
}

export interface ModelInfo {
  id: string;
  name: string;
  tier?: string;
  contextWindow?: number;
  maxOutput?: number;
  priceInPer1k?: number;
  priceOutPer1k?: number;
  /** The server spells these with a capital K; either is accepted. */
  priceInPer1K?: number;
  priceOutPer1K?: number;
  capabilities?: string[];
}

export interface ModelCatalog {
  models: ModelInfo[];
  default: string;
}

export interface UsageWindow {
  limit?: number | null;
  used?: number | null;
  remaining?: number | null;
  resetAt?: number | string | null;
}

export interface Usage {
  tier?: string;
  requests?: UsageWindow;
  tokens?: UsageWindow;
  cost?: { monthToDate?: number | null; cap?: number | null };
}

/** SSE events of a chat turn. */
export interface MessageStart {
  messageId: string;
  conversationId: string;
  model: string;
  userMessageId?: string;
  contextTrimmed?: boolean;
  summaryUsed?: boolean;
  routeReason?: string;
}

export interface MessageEnd {
  messageId: string;
  finishReason: string;
  tokensUsed?: TokensUsed;
  cost?: number;
  cached?: boolean;
  /** A memory the message asked to be saved ("remember that ..."); undo with DELETE /memories/{id}. */
  memoryCreated?: { memoryId: string; content: string };
}

export interface SearchResult {
  conversationId: string;
  /** null when the conversation's title matched (role "title"). */
  messageId: string | null;
  title: string;
  role: string;
  /** HTML from the server: matched words in <mark>, everything else escaped. */
  snippet: string;
  createdAt: number;
}

export interface SearchPage {
  results: SearchResult[];
  nextCursor?: string | null;
}

export interface Instructions {
  aboutMe: string;
  howToRespond: string;
  updatedAt?: number | null;
}

export interface StreamError {
  code: string;
  message: string;
  retryable: boolean;
}

export interface SendRequest {
  content: string;
  /** Absent: continue the active branch. `null`: a new root (editing the first message). */
  parentMessageId?: string | null;
  model?: string;
  attachments?: string[];
}

/** `POST /attachments`: where and how to upload the declared file. */
export interface UploadTicket {
  attachmentId: string;
  uploadUrl: string;
  method: "POST";
  /** Form fields to send, in order, before the file part (named `file`). */
  fields: Record<string, string>;
  /** Epoch ms after which the upload is refused. */
  expiresAt: number;
}

export type AttachmentStatus = "pending" | "ready" | "failed";

/** `GET /attachments/{id}`. */
export interface AttachmentInfo {
  attachmentId: string;
  status: AttachmentStatus;
  reason?: { code: string; message: string };
  kind: string;
  filename: string;
  contentType: string;
  size: number;
  tokens?: number;
  pages?: number;
  width?: number;
  height?: number;
  truncated?: boolean;
}

/** What a sent user message records of each attachment (`details.attachments`). */
export interface AttachmentRecord {
  id: string;
  kind: string;
  filename: string;
  /** The indexes of the excerpts sent to the model (older servers: a count). */
  chunksUsed?: number[] | number;
  totalChunks?: number;
  tokens?: number;
  flagged?: boolean;
}
