"""Request and response bodies. JSON is camelCase on the wire."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from parley.conversations.model import Conversation, Message


class CamelModel(BaseModel):
    # Infinity and NaN are valid JSON numbers to some parsers but never a valid quantity here.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", allow_inf_nan=False)


class ErrorBody(CamelModel):
    code: str
    message: str
    retryable: bool = False


class SuccessBody(CamelModel):
    success: bool = True


class CreateConversationRequest(CamelModel):
    title: str | None = Field(default=None, max_length=2000)
    model: str | None = Field(default=None, max_length=100)
    system_prompt: str | None = Field(default=None, max_length=20_000)


class CreateConversationResponse(CamelModel):
    conversation_id: str
    created_at: int


class ConversationSummary(CamelModel):
    conversation_id: str
    title: str
    preview: str
    last_updated: int
    model: str
    archived: bool = False
    cold: bool = False
    #: The caller's access: "owner", or "participant" / "viewer" for a conversation shared with them.
    role: str = "owner"

    @classmethod
    def of(cls, c: Conversation) -> ConversationSummary:
        return cls(
            conversation_id=c.conversation_id,
            title=c.title,
            preview=c.preview,
            last_updated=c.updated_at,
            model=c.model,
            archived=c.archived,
            cold=c.cold,
            role=c.role,
        )


class ConversationList(CamelModel):
    conversations: list[ConversationSummary]
    next_cursor: str | None = None


class TokensUsed(CamelModel):
    input: int = 0
    output: int = 0


class MessageBody(CamelModel):
    message_id: str
    parent_message_id: str | None
    role: str
    content: str
    model: str | None
    created_at: int
    tokens_used: TokensUsed
    finish_reason: str | None
    cost: float
    attachments: list[str]
    children_ids: list[str]
    #: Who sent the message (user messages) or asked for the answer; null on answers saved before authorship.
    author_id: str | None = None
    status: str = "complete"
    context_trimmed: bool = False
    summary_used: bool = False
    details: dict[str, object] = Field(default_factory=dict)

    @classmethod
    def of(cls, m: Message) -> MessageBody:
        return cls(
            message_id=m.message_id,
            parent_message_id=m.parent_id,
            role=m.role,
            content=m.content,
            model=m.model,
            created_at=m.created_at,
            tokens_used=TokensUsed(input=m.input_tokens, output=m.output_tokens),
            finish_reason=m.finish_reason,
            cost=m.cost,
            attachments=m.attachments,
            children_ids=m.children_ids,
            author_id=m.author_id,
            status=m.status,
            context_trimmed=bool(m.details.get("contextTrimmed", False)),
            summary_used=bool(m.details.get("summaryUsed", False)),
            details=m.details,
        )


class ConversationUsage(CamelModel):
    input_tokens: int
    output_tokens: int
    cost: float
    currency: str = "USD"


class ConversationHeader(CamelModel):
    """A conversation without its messages (the detail and the export share it)."""

    conversation_id: str
    title: str
    model: str
    system_prompt: str | None = None
    created_at: int
    updated_at: int
    current_message_id: str | None
    archived: bool = False
    cold: bool = False
    usage: ConversationUsage
    #: The caller's access ("owner", "participant", "viewer") and whose conversation it is.
    role: str = "owner"
    owner_id: str | None = None

    @staticmethod
    def fields_of(c: Conversation) -> dict[str, object]:
        return {
            "conversation_id": c.conversation_id,
            "title": c.title,
            "model": c.model,
            "system_prompt": c.system_prompt,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "current_message_id": c.current_message_id,
            "archived": c.archived,
            "cold": c.cold,
            "role": c.role,
            "owner_id": c.user_id,
            "usage": ConversationUsage(input_tokens=c.total_input_tokens, output_tokens=c.total_output_tokens,
                                       cost=c.total_cost),
        }

    @classmethod
    def of(cls, c: Conversation) -> ConversationHeader:
        return cls(**cls.fields_of(c))  # type: ignore[arg-type]


class ConversationDetail(ConversationHeader):
    messages: list[MessageBody]


class MessageList(CamelModel):
    conversation_id: str
    current_message_id: str | None
    messages: list[MessageBody]


class UpdateConversationRequest(CamelModel):
    title: str | None = Field(default=None, max_length=2000)
    current_message_id: str | None = Field(default=None, max_length=64)
    archived: bool | None = None


class SendMessageRequest(CamelModel):
    content: str = Field(min_length=1, description="The message text")
    parent_message_id: str | None = Field(default=None, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")
    attachments: list[str] = Field(default_factory=list, max_length=20)
    model: str | None = Field(default=None, max_length=100)


class RegenerateRequest(CamelModel):
    model: str | None = Field(default=None, max_length=100)


class ModelInfo(CamelModel):
    id: str
    name: str
    tier: str
    context_window: int
    max_output: int
    price_in_per_1k: float = Field(alias="priceInPer1k")
    price_out_per_1k: float = Field(alias="priceOutPer1k")
    capabilities: list[str]


class ModelList(CamelModel):
    models: list[ModelInfo]
    default: str


class DevTokenRequest(CamelModel):
    user_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@-]+$")
    tier: str = Field(default="free", pattern=r"^(free|plus)$")


class DevTokenResponse(CamelModel):
    token: str
    user_id: str
    tier: str
    expires_in: int


class Health(CamelModel):
    status: str
    mode: str
    version: str
