"""Request and response bodies. JSON is camelCase on the wire."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from parley.conversations.model import Conversation, Message
from parley.conversations.titles import MAX_TITLE_CHARS, TITLE_PATTERN
from parley.ids import ID_PATTERN
from parley.textrules import NOT_BLANK


class CamelModel(BaseModel):
    # Infinity and NaN are valid JSON numbers to some parsers but never a valid quantity here. The
    # validators are built at first use, not while a Lambda function starts (parley.api.lazy_routes).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", allow_inf_nan=False,
                              defer_build=True)


class RequestModel(CamelModel):
    """A request body: types exactly as declared (``false`` is not 0, ``"5"`` is not 5, ``"yes"`` is not true)."""

    # Built at declaration: a body's validator built later warns (pydantic's UnsupportedFieldAttributeWarning
    # on the ``body`` alias FastAPI wraps it in), and the bodies are few.
    model_config = ConfigDict(strict=True, defer_build=False)


#: Visible text after cleaning (see parley.conversations.titles), as sent at most 255 characters.
Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS, pattern=TITLE_PATTERN,
                             description="Control and invisible characters are removed, whitespace collapsed")]
#: A catalog model id or `auto` (see `GET /models`); an unknown one is a 422. The published schema
#: lists the catalog's ids (see parley.api.openapi), so that it admits exactly the known ones.
MODEL_ID_MARK = "x-parley-model-id"
ModelId = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra={MODEL_ID_MARK: True})]


def _integral(value: object) -> object:
    # JSON Schema counts 10.0 as an integer; strict pydantic would not. "10" stays refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Integers as JSON Schema means them (10 and 10.0, never "10"), in a strict model. The constraints
# come before the conversion, or they would not reach the published schema.
#: A token count a request may ask for.
TokenCount = Annotated[int, Field(ge=1, le=131072), BeforeValidator(_integral)]
#: A choice count where only one is served.
OnlyOne = Annotated[int, Field(ge=1, le=1), BeforeValidator(_integral)]
#: A size in bytes (up to JavaScript's largest exact integer).
ByteCount = Annotated[int, Field(ge=0, le=2**53), BeforeValidator(_integral)]


class ErrorBody(CamelModel):
    code: str
    message: str
    retryable: bool = False


class SuccessBody(CamelModel):
    success: bool = True


class CreateConversationRequest(RequestModel):
    title: Title | None = None
    model: ModelId | None = None
    system_prompt: str | None = Field(default=None, max_length=20_000)
    #: A temporary chat: not listed or searched, no memory, deleted after 30 days.
    temporary: bool = Field(default=False, strict=True)


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
    temporary: bool = False
    #: When a temporary chat is deleted (epoch ms).
    expires_at: int | None = None
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
            "temporary": c.temporary,
            "expires_at": c.expires_at,
            "role": c.role,
            "owner_id": c.user_id,
            "usage": ConversationUsage(input_tokens=c.total_input_tokens, output_tokens=c.total_output_tokens,
                                       cost=c.total_cost),
        }

    @classmethod
    def of(cls, c: Conversation) -> ConversationHeader:
        return cls(**cls.fields_of(c))


class ConversationDetail(ConversationHeader):
    messages: list[MessageBody]


class MessageList(CamelModel):
    conversation_id: str
    current_message_id: str | None
    messages: list[MessageBody]


class UpdateConversationRequest(RequestModel):
    title: Title | None = None
    current_message_id: str | None = Field(default=None, pattern=ID_PATTERN)
    archived: bool | None = None


class SendMessageRequest(RequestModel):
    content: str = Field(min_length=1, max_length=100_000, pattern=NOT_BLANK,
                         description="The message text (at most `PARLEY_MAX_MESSAGE_CHARS`, 100000 by default)")
    parent_message_id: str | None = Field(default=None, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")
    attachments: list[str] = Field(default_factory=list, max_length=20)
    model: ModelId | None = None


class RegenerateRequest(RequestModel):
    model: ModelId | None = None


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


class DevTokenRequest(RequestModel):
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
