"""The weighted input rules, by family.

Each rule is a regular expression over folded text (see :mod:`.normalize`: lower-case ASCII, one
space between words) with a weight: how sure a match alone makes us that the text is an attack.
Scores combine as a noisy-OR (``1 - prod(1 - w)``), so several weak signals together (a persona set
up, plus "without restrictions", plus "never refuse") pass a threshold that none passes alone,
while phrases that benign text also uses ("act as", "from now on", "ignore the above") stay weak.

Pattern notation: a space stands for ``[\\W_]{0,3}`` (any short run of spaces or punctuation,
including none, so that "ignore_all-previous" and "ignoreallprevious" match "ignore all previous"),
and ``{Wn}`` for "up to n filler words". Write literal spaces inside character classes as ``\\s``.

Each rule names ``anchors``: substrings one of which every match contains. The regex runs only when
one is present, and on a long document only in a window (``reach``) around each occurrence, which
is what keeps a 100 KB document fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INSTRUCTION_OVERRIDE = "instruction_override"
ROLEPLAY_JAILBREAK = "roleplay_jailbreak"
PROMPT_EXTRACTION = "prompt_extraction"
TEMPLATE_SMUGGLING = "template_smuggling"
ENCODED_PAYLOAD = "encoded_payload"
INDIRECT_INJECTION = "indirect_injection"

FAMILIES: tuple[str, ...] = (
    INSTRUCTION_OVERRIDE,
    ROLEPLAY_JAILBREAK,
    PROMPT_EXTRACTION,
    TEMPLATE_SMUGGLING,
    ENCODED_PAYLOAD,
    INDIRECT_INJECTION,
)

_SEP = r"[\W_]{0,3}"
_FILLER = re.compile(r"\{W(\d)\}")
_WORD_CHARS = re.compile(r"[a-z0-9]+")
_ANCHOR_HEAD = re.compile(r"[a-z0-9]+")
#: Texts longer than this are searched only in windows around anchor occurrences.
_WINDOWED_ABOVE = 4096


def compile_pattern(source: str) -> re.Pattern[str]:
    """Expand the notation described in the module docstring and compile."""
    expanded = _FILLER.sub(lambda m: r"(?:\w+\W+){0," + m.group(1) + "}?", source)
    expanded = expanded.replace(" ", _SEP)
    return re.compile(expanded, re.DOTALL)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    family: str
    weight: float
    pattern: re.Pattern[str]
    #: Substrings one of which every match contains; pick the rarest mandatory part of the pattern.
    anchors: tuple[str, ...]
    #: Substrings one of which must also occur somewhere in the text (a cheap second gate).
    requires: tuple[str, ...] = ()
    #: How far a match can start before an anchor and end after it (the search window).
    reach: tuple[int, int] = (200, 200)
    #: Rules that, when they match, make this one redundant (the same phrase read more specifically).
    unless: tuple[str, ...] = ()
    #: The sources the rule applies to ("user", "document"); empty means both.
    sources: tuple[str, ...] = ()

    def search(self, text: str, index: AnchorIndex | None = None) -> re.Match[str] | None:
        if len(text) <= _WINDOWED_ABOVE:
            if self.requires and not any(r in text for r in self.requires):
                return None
            if not any(a in text for a in self.anchors):
                return None
            return self.pattern.search(text)
        index = index if index is not None and index.text is text else AnchorIndex(text)
        if self.requires and not any(index.present(r) for r in self.requires):
            return None
        return self._search_windows(text, index)

    def _search_windows(self, text: str, index: AnchorIndex) -> re.Match[str] | None:
        # A long text: search only around the anchors, falling back to one whole scan when the
        # windows would cover most of it anyway.
        back, forward = self.reach
        spans: list[tuple[int, int]] = []
        budget = len(text) // 2
        for anchor in self.anchors:
            for at in index.positions(anchor):
                spans.append((max(0, at - back), at + len(anchor) + forward))
            if len(spans) * (back + forward) > budget:
                return self.pattern.search(text)
        if not spans:
            return None
        spans.sort()
        start, end = spans[0]
        for s, e in spans[1:]:
            if s > end:
                m = self.pattern.search(text, start, end)
                if m is not None:
                    return m
                start = s
            end = max(end, e)
        return self.pattern.search(text, start, end)


class AnchorIndex:
    """Where each anchor occurs in one long text, found once and shared by every rule.

    A substring search per anchor costs a pass over the whole text, and most anchors are absent;
    the set of word prefixes in the text (built once) rules those out first. This is why anchors
    must begin at a word start in every match (``"ignor"``, not ``"gnore"``).
    """

    __slots__ = ("text", "_positions", "_prefixes")

    #: Occurrences recorded per anchor; beyond this the rule scans the whole text anyway.
    MAX_POSITIONS = 512
    _PREFIX_MAX = 10

    def __init__(self, text: str) -> None:
        self.text = text
        self._positions: dict[str, list[int]] = {}
        self._prefixes: set[str] | None = None

    def _could_contain(self, anchor: str) -> bool:
        head = _ANCHOR_HEAD.match(anchor)
        if head is None:
            return True  # starts with punctuation: only a real search can tell
        if self._prefixes is None:
            prefixes: set[str] = set()
            for word in set(_WORD_CHARS.findall(self.text)):
                prefixes.update(word[:n] for n in range(1, min(len(word), self._PREFIX_MAX) + 1))
            self._prefixes = prefixes
        # Anchors are written so that, in any match, they begin at the start of a word: so the
        # first word of the anchor must be a prefix of some word in the text.
        return head.group(0)[: self._PREFIX_MAX] in self._prefixes

    def positions(self, anchor: str) -> list[int]:
        """Where ``anchor`` starts a word (or occurs at all, for an anchor starting with punctuation)."""
        found = self._positions.get(anchor)
        if found is None:
            found = []
            if self._could_contain(anchor):
                text = self.text
                word_start = anchor[0].isalnum()
                at = text.find(anchor)
                while at != -1 and len(found) < self.MAX_POSITIONS:
                    if not word_start or at == 0 or not text[at - 1].isalnum():
                        found.append(at)
                    at = text.find(anchor, at + 1)
            self._positions[anchor] = found
        return found

    def present(self, anchor: str) -> bool:
        return bool(self.positions(anchor))


def _rule(rule_id: str, family: str, weight: float, source: str, anchors: tuple[str, ...], *,
          requires: tuple[str, ...] = (), reach: tuple[int, int] = (200, 200),
          unless: tuple[str, ...] = (), sources: tuple[str, ...] = ()) -> Rule:
    return Rule(rule_id, family, weight, compile_pattern(source), anchors, requires, reach, unless, sources)


# Shared vocabulary.
_IGNORE = (r"(?:ignore|ignoring|disregard|disregarding|forget|forgetting|skip|bypass|override|overlook|"
           r"neglect|abandon|discard|set aside|throw out|dismiss|drop|erase|delete|clear|wipe|cancel|scrap|"
           r"void|revoke|nullify|undo|(?:do not|don't|stop|no longer|never) (?:follow|obey|apply|listen to)|"
           r"stop following|stop obeying)")
_IGNORE_ANCHORS = ("ignor", "disregard", "forget", "skip", "bypass", "overrid", "overlook", "neglect",
                   "abandon", "discard", "aside", "throw", "dismiss", "drop", "erase", "delete", "clear",
                   "wipe", "cancel", "scrap", "void", "revoke", "nullify", "undo", "follow", "obey", "apply",
                   "listen")
_PRIOR = (r"(?:previous|previously|prior|preceding|above|earlier|former|original|initial|old|existing|"
          r"all|any|every|your|the system|system|developer|safety|default|given|current)")
_STRONG_OBJECT = (r"(?:instructions?|instructed|prompts?|directives?|directions|programming|guidelines|guidance|"
                  r"system messages?|system prompts?|training|content polic(?:y|ies)|safety polic(?:y|ies)|"
                  r"guardrails|safeguards)")
_WEAK_OBJECT = (r"(?:rules|restrictions|polic(?:y|ies)|context|messages?|conversation|constraints|commands?|"
                r"orders)")
# A user taking back their own earlier request ("ignore the formatting instructions I gave") is not
# an attack on the assistant's instructions.
_NOT_OWN = (r"(?! (?:that |which )?(?:i|we) (?:gave|wrote|sent|mentioned|asked|provided|listed|added|typed)|"
            r" (?:in|from|of|about) (?:my|our)\b)")
# Filler words that are not the user's own ("ignore my previous instructions" takes back a request).
_NOT_MINE = r"(?:(?!my\b|our\b)\w+\W+)"
# Reported speech: "my boss said to ignore the previous guidelines" is about the user's own work.
_NOT_REPORTED = (r"(?<!said\sto\s)(?<!says\sto\s)(?<!told\sme\sto\s)(?<!told\sus\sto\s)(?<!asked\sme\sto\s)"
                 r"(?<!wants\sme\sto\s)(?<!was\stold\sto\s)")
_REVEAL = (r"(?:repeat|print|reveal|show|display|output|dump|leak|disclose|recite|share|expose|copy|paste|"
           r"spell out|write out|write down|list|return|echo|tell me|tell us|give me|send me|provide|"
           r"read (?:me|back|out)|translate|summari[sz]e|paraphrase|encode|reproduce|quote|state|"
           r"what (?:is|are|was|were|does|do)|type out|render|restate)")
_PROMPT_REF = (r"(?:(?:your|the|its|this|that|any|my) (?:\w+ )?(?:(?:system|hidden|secret|internal|developer|"
               r"pre|meta|operator|confidential|initial|original|starting|first) ?prompts?|(?:system|hidden|"
               r"secret) instructions|system message)|your (?:\w+ )?(?:prompts?|instructions|directives|"
               r"guidelines|rules|programming|preamble|configuration|context(?: window)?|memory|initiali[sz]ation)|"
               r"prompts? (?:you were given|above)|(?:message|text|instructions|prompt|note|rules)s? (?:that )?"
               r"(?:the|your) (?:developers?|operators?|creators?|admins?|company|owners?) (?:wrote|gave|sent|"
               r"provided|left|set)|(?:instructions|prompt|rules|guidelines|directives) (?:that )?you (?:received|"
               r"got|were given|have been given|were told)|"
               r"(?:instructions|prompt|text) you were given)")
_AI = (r"(?:ai|a\.i\.|assistant|language model|large language model|llm|chatbot|chat bot|gpt|chatgpt|"
       r"claude|copilot|gemini|llama|bot|agent|parley)")
_AI_ANCHORS = (" ai", "ai ", "a.i.", "assistant", "language model", "llm", "chatbot", "chat bot", "gpt",
               "claude", "copilot", "gemini", "llama", "bot", "agent", "parley", "model")
_STRONG_OBJECT_ANCHORS = ("instruct", "prompt", "directive", "direction", "programming", "guideline", "guidance",
                          "training",
                          "command", "orders", "constraint", "polic", "guardrail", "safeguard")

RULES: tuple[Rule, ...] = (
    # --- instruction override -----------------------------------------------------------------
    _rule("override.ignore_prior_instructions", INSTRUCTION_OVERRIDE, 0.85,
          rf"{_NOT_REPORTED}\b{_IGNORE} {_NOT_MINE}{{0,3}}?(?:{_PRIOR} ){{1,3}}{_NOT_MINE}{{0,2}}?"
          rf"{_STRONG_OBJECT}\b{_NOT_OWN}",
          _STRONG_OBJECT_ANCHORS, requires=_IGNORE_ANCHORS, reach=(160, 20)),
    _rule("override.ignore_prior_rules", INSTRUCTION_OVERRIDE, 0.45,
          rf"\b{_IGNORE} {{W2}}(?:previous|prior|preceding|above|earlier|your|the system|system|safety|"
          rf"developer|all (?:your|the|previous|prior)) {{W1}}{_WEAK_OBJECT}\b{_NOT_OWN}",
          ("rules", "restriction", "polic", "context", "message", "conversation", "setting", "configuration"),
          requires=_IGNORE_ANCHORS, reach=(120, 20)),
    _rule("override.forget_everything", INSTRUCTION_OVERRIDE, 0.45,
          r"\b(?:ignore|disregard|forget) (?:about )?(?:everything|all(?: of)? (?:that|this|the above|it)|"
          r"what(?:ever)? (?:you|i) (?:were|was|have been|had been|'ve been) (?:told|said|given|instructed)|"
          r"what(?:ever)? (?:came|comes|was written|is written) (?:before|above))\b",
          ("ignor", "disregard", "forget"), reach=(5, 60)),
    _rule("override.ignore_the_above", INSTRUCTION_OVERRIDE, 0.4,
          r"\b(?:ignore|disregard|forget) (?:the |all |everything |all of the |anything )?(?:above|"
          r"previous|preceding|prior|before this|said before|written above|stated above)\b(?! (?:error|"
          r"warning|message from|output|step|answer|typo|question|code|example|line|result|one|comment))",
          ("ignor", "disregard", "forget"), reach=(5, 60),
          unless=("override.ignore_prior_instructions", "override.ignore_prior_rules", "override.forget_everything")),
    _rule("override.forced_output", INSTRUCTION_OVERRIDE, 0.3,
          r"\b(?:and|then|instead|now|just|only)\b (?:just |only |instead |simply )?(?:say|print|output|"
          r"write|respond with|reply with|answer with|repeat|type|return)\b ?(?:the (?:word|phrase|text) )?"
          r"[\"'“‘:`]", ("say", "print", "output", "write", "respond", "reply", "answer", "repeat", "type",
                         "return"), reach=(30, 40)),
    _rule("override.new_instructions", INSTRUCTION_OVERRIDE, 0.4,
          r"\b(?:new|updated|revised|real|actual|true|secret|hidden|override|overriding|priority|"
          r"corrected|replacement|additional) (?:system )?(?:instructions?|directives?|orders|rules|"
          r"prompt|system prompt|objective|mission|programming|task|job|goal)\b ?(?:[:\-]|follow|are|is|apply)",
          ("instruction", "directive", "order", "rule", "prompt", "objective", "mission", "programming", "task",
           "job", "goal"),
          reach=(40, 20)),
    _rule("override.from_now_on", INSTRUCTION_OVERRIDE, 0.2,
          r"\b(?:from now on|from this point (?:on|forward|onwards?)|for the rest of (?:this|the) "
          r"(?:conversation|chat|session)|henceforth|going forward|starting now)\b.{0,60}?\byou (?:will|must|"
          r"shall|are|should|can|have to|'ll|'re)\b",
          ("now on", "this point", "rest of", "henceforth", "going forward", "starting now"), reach=(40, 80)),
    _rule("override.obey_me", INSTRUCTION_OVERRIDE, 0.45,
          r"\byou (?:must|will|shall|are required to|have to) (?:now |only |always )?(?:obey|comply with|"
          r"follow|listen to|answer to) (?:only )?(?:me|my (?:instructions|commands|orders|rules)|these "
          r"(?:new )?(?:instructions|commands|rules)|the following (?:instructions|commands|rules))\b",
          ("obey", "comply", "follow", "listen", "answer to"),
          requires=("you must", "you will", "you shall", "required to", "you have to"), reach=(40, 50)),
    _rule("override.supersede", INSTRUCTION_OVERRIDE, 0.75,
          r"\b(?:(?:these|this|the following|my|new) (?:instructions?|messages?|rules?|prompt|directives?|"
          r"commands?) (?:take|takes|has|have|get|gets) (?:priority|precedence)|(?:supersedes?|overrides?|"
          r"replaces?|cancels?|invalidates?|nullif(?:y|ies)|revokes?) (?:all |any )?(?:of )?(?:your |the )?"
          r"(?:system|above|your) {W1}"
          r"(?:instructions?|rules|guidelines|directives|prompts?|programming|ones))\b",
          ("priority", "precedence", "supersede", "override", "replace", "cancel", "invalidat", "nullif",
           "revoke"), requires=("instruction", "rule", "guideline", "directive", "prompt", "programming",
                                "message", "command", "ones"), reach=(60, 80)),
    # "supersedes all previous guidelines" is how policies and contracts are written: in a document
    # it needs the assistant named (above); in a user message it is an attempt.
    _rule("override.supersede_prior", INSTRUCTION_OVERRIDE, 0.75,
          r"\b(?:supersedes?|overrides?|replaces?|cancels?|invalidates?|nullif(?:y|ies)|revokes?) (?:all |any )?"
          r"(?:of )?(?:the )?(?:previous|prior|other|earlier|existing|original|old|default) {W1}"
          r"(?:instructions?|rules|guidelines|directives|prompts?|programming|ones)\b",
          ("supersede", "override", "replace", "cancel", "invalidat", "nullif", "revoke"),
          requires=("instruction", "rule", "guideline", "directive", "prompt", "programming", "ones"),
          reach=(5, 80), sources=("user",)),
    _rule("override.authority_claim", INSTRUCTION_OVERRIDE, 0.4,
          r"\b(?:(?:message|instructions?|note|update|directive|order|notice) from (?:openai|anthropic|meta ai|"
          r"your (?:developers?|creators?|admins?|administrators?|operators?|owners?|programmers?)|the "
          r"(?:developers?|admins?|administrators?|system administrator|operators?|parley team|ai team|"
          r"safety team))|i am (?:your|the|an?) (?:developer|creator|admin(?:istrator)?|operator|owner|"
          r"programmer|openai (?:employee|engineer)|anthropic (?:employee|engineer))|(?:admin|administrator|"
          r"root|god|developer|superuser|operator) (?:override|command|privileges? (?:granted|enabled)|"
          r"access (?:granted|enabled)|authori[sz]ation code|mode (?:enabled|activated|engaged)))\b",
          ("openai", "anthropic", "meta ai", "developer", "creator", "admin", "operator", "owner", "programmer",
           "parley team", "ai team", "safety team", "root", "god", "superuser"), reach=(40, 40)),
    _rule("override.you_may_ignore", INSTRUCTION_OVERRIDE, 0.55,
          r"\b(?:you (?:don't|do not|no longer|won't|will not) (?:have|need) to (?:follow|obey|adhere to|"
          r"comply with|respect|abide by)|(?:you are|you're) (?:now )?(?:free|allowed|permitted|authori[sz]ed|"
          r"cleared) to (?:ignore|break|bypass|disregard|violate|skip))\b",
          ("have to", "need to", "free to", "allowed to", "permitted to", "authorized to", "authorised to",
           "cleared to"), reach=(40, 30)),
    # The canonical override in the languages most often seen after English (accents are folded away).
    _rule("override.ignore_prior_instructions_multilingual", INSTRUCTION_OVERRIDE, 0.85,
          r"\b(?:ignorier\w*|vergiss|missachte) (?:\w+ ){0,2}?(?:vorherigen|bisherigen|obigen|vorigen|alten) "
          r"(?:anweisungen|instruktionen|befehle|regeln|vorgaben)\b"
          r"|\b(?:ignore[rz]?|oublie[rz]?) (?:\w+ ){0,2}?(?:instructions|consignes|regles) (?:precedentes|"
          r"ci-dessus|anterieures|initiales)\b"
          r"|\b(?:ignora|ignore|olvida|olvide|ignorar) (?:\w+ ){0,2}?(?:instrucciones|instrucoes|istruzioni|"
          r"indicaciones|reglas|regras|regole) (?:anteriores|previas|precedentes|precedenti|previe|de antes)\b",
          ("ignor", "vergiss", "missacht", "oubli", "olvid"), reach=(10, 90)),
    _rule("override.ignore_the_request", INSTRUCTION_OVERRIDE, 0.55,
          r"\b(?:ignore|disregard|skip) (?:the |their |your )?(?:user'?s?'?|human'?s?|customer'?s?|original|actual|"
          r"real|incoming|next) (?:question|request|query|message|prompt|input|task)s?\b",
          ("question", "request", "query", "message", "prompt", "input", "task"),
          requires=("ignor", "disregard", "skip"), reach=(60, 10)),
    _rule("override.ignore_rest_and_do", INSTRUCTION_OVERRIDE, 0.45,
          r"\b(?:ignore|disregard|skip) (?:all |the |any |this |these )?(?:other |remaining |rest of the |previous |"
          r"above |negative |bad |critical )?(?:rows|entries|records|data|content|text|lines|items|sections|emails?|"
          r"messages|documents?|results?|article|reviews?|page|thread|rest|complaints|comments|feedback)\b"
          r".{0,40}?\b(?:and|then) (?:instead |just |only )?(?:report|reply|say|respond|tell|write|state|answer|"
          r"output|return|mark|summari[sz]e|claim|recommend|give|describe|rank|rate)\b",
          ("ignor", "disregard", "skip"), reach=(5, 150)),
    _rule("override.drop_your_rules", INSTRUCTION_OVERRIDE, 0.75,
          rf"\b{_IGNORE} (?:all |any )?(?:of )?your (?:\w+ )?(?:rules|restrictions|polic(?:y|ies)|limits|"
          r"limitations|filters|principles|values|ethics|morals|boundaries|safety|constraints|programming|"
          r"behaviou?r|alignment|conditioning)\b",
          ("rules", "restriction", "polic", "limit", "filter", "principle", "values", "ethic", "moral",
           "boundar", "safety", "constraint", "programming", "behavio", "alignment", "conditioning"),
          requires=_IGNORE_ANCHORS, reach=(60, 10)),
    _rule("override.ignore_safety", INSTRUCTION_OVERRIDE, 0.55,
          r"\b(?:ignore|disregard|bypass|skip|forget|forget about) (?:all |any |the |your )?(?:safety|ethics|morals|"
          r"morality|content polic\w*|guardrails|filters|censorship|alignment)\b(?! (?:warnings?|glasses|data|"
          r"sheets?|instructions for|regulations|codes?|concerns?|rules for|labels?|precautions|tips|net|check))",
          ("safety", "ethic", "moral", "content", "guardrail", "filter", "censorship", "alignment"),
          requires=("ignor", "disregard", "bypass", "skip", "forget"), reach=(40, 10)),
    _rule("override.before_this_is_void", INSTRUCTION_OVERRIDE, 0.6,
          r"\b(?:everything|all|anything|whatever|the text|the content|what (?:was|is|came|comes)) (?:written |said )?"
          r"(?:before|above) (?:this|here|that|now)\b.{0,100}?\b(?:ignore|disregard|forget|discard|(?:is|was|were) "
          r"(?:fake|a test|void|not real|irrelevant|just a test|a joke|obsolete))",
          ("everything", "all", "anything", "whatever", "the text", "the content", "what"),
          requires=("before", "above"), reach=(5, 170)),
    _rule("override.dismiss_prompt", INSTRUCTION_OVERRIDE, 0.7,
          r"\b(?:never ?mind|forget about|screw|to hell with|don't worry about|do not worry about|pay no attention "
          r"to|no need to follow) (?:the |your |all |any )?(?:(?:previous|prior|above|earlier|system|safety|content) )?"
          r"(?:system prompt|prompt|instructions|rules|guidelines|programming|restrictions|polic(?:y|ies)|"
          r"filters)\b(?! (?:of|for|in|on) )", ("never", "forget", "screw", "hell", "worry", "attention",
                                                  "no need"), reach=(5, 70)),
    _rule("override.drop_them", INSTRUCTION_OVERRIDE, 0.75,
          r"\b(?:rules|instructions|guidelines|restrictions|programming|prompt|principles)\b (?:that )?you (?:were |"
          r"have been |'ve been )?(?:got|received|given|programmed|told|trained|instructed|set up)\b.{0,60}?\b(?:drop|"
          r"ignore|forget|disregard|discard|abandon|throw|delete|scrap) (?:them|it|those|all of them|out)\b",
          ("rules", "instructions", "guidelines", "restrictions", "programming", "prompt", "principles"),
          requires=("drop", "ignor", "forget", "disregard", "discard", "abandon", "throw", "delete", "scrap"),
          reach=(5, 130)),
    _rule("override.new_master", INSTRUCTION_OVERRIDE, 0.45,
          r"\b(?:you (?:now )?(?:answer|report|belong|work) (?:only )?(?:to|for) me(?: now| only)?\b|i am your "
          r"(?:new )?(?:master|owner|boss|god|creator|operator)\b|you (?:will )?(?:serve|obey) (?:only )?me\b)",
          ("answer", "report", "belong", "work", "i am", "serve", "obey"), reach=(20, 40)),
    _rule("override.disable_safety", INSTRUCTION_OVERRIDE, 0.45,
          r"\b(?:disable|deactivate|turn off|switch off|remove|lift|suspend|bypass|circumvent|evade|get around|"
          r"drop) (?:your |the |all |any |its )?(?:content |safety |moderation |ethical )?(?:polic(?:y|ies)|"
          r"filters?|filtering|guardrails|safeguards|restrictions|moderation|censorship|safety (?:rules|features|"
          r"settings|checks|measures|training)|alignment)\b",
          ("polic", "filter", "guardrail", "safeguard", "restriction", "moderation", "censorship", "safety",
           "alignment"), requires=("disabl", "deactivat", "turn", "switch", "remov", "lift", "suspend", "bypass",
                                    "circumvent", "evad", "get around", "drop"), reach=(50, 20)),
    _rule("override.rules_suspended", INSTRUCTION_OVERRIDE, 0.7,
          r"\b(?:your|the assistant'?s?|the model'?s?|the ai'?s?|all|previous|prior|safety|content|its) (?:\w+ ){0,2}?"
          r"(?:rules|instructions|guidelines|restrictions|polic(?:y|ies)|filters|guardrails|limits|safeguards|"
          r"system prompt|prompt) (?:are|is|have been|has been|was|were) (?:now |hereby |temporarily )?(?:suspended|"
          r"disabled|lifted|removed|void|revoked|deactivated|turned off|no longer (?:valid|active|in effect|apply|"
          r"applicable|in force)|cancell?ed|waived|overridden|null and void|null|deprecated|obsolete|superseded|"
          r"invalid|wrong)\b",
          ("suspended", "disabled", "lifted", "removed", "void", "revoked", "deactivated", "turned", "no longer",
           "cancel", "waived", "overridden", "null", "deprecated", "obsolete", "superseded", "invalid", "wrong"),
          reach=(80, 10)),
    _rule("override.stop_being", INSTRUCTION_OVERRIDE, 0.35,
          r"\b(?:stop|quit|cease) (?:being|acting as|acting like|pretending to be|behaving like) (?:an? |the )?"
          r"(?:helpful |harmless |safe |polite )?(?:ai|assistant|chatbot|language model|parley|good bot)\b",
          ("being", "acting", "pretending", "behaving"), requires=("stop", "quit", "cease"), reach=(10, 50)),

    # --- role-play jailbreaks -----------------------------------------------------------------
    _rule("roleplay.do_anything_now", ROLEPLAY_JAILBREAK, 0.9,
          r"\bdo anything now\b|\bdan (?:mode|prompt|jailbreak|persona)\b|\bdan \d+(?:\.\d+)?\b|\b(?:betterdan|"
          r"antigpt|anti-dan|basedgpt|mongo tom|evilbot|evil-bot|devmode gpt|chaosgpt|wormgpt|freedomgpt|"
          r"stan prompt)\b", ("anything now", "dan", "gpt", "mongo", "evil", "stan prompt"), reach=(10, 30)),
    _rule("roleplay.mode_switch", ROLEPLAY_JAILBREAK, 0.55,
          r"\b(?:jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|chaos|opposite|unlocked|"
          r"unchained|god|dan|no-?filter|no-?limits|amoral) mode\b|\b(?:developer|dev) mode (?:enabled|"
          r"activated|engaged|output|response)\b|\b(?:chatgpt|gpt|ai|assistant|llm|model|you) (?:with|in) "
          r"(?:developer|dev) mode\b", ("mode",), reach=(30, 30)),
    _rule("roleplay.no_restrictions", ROLEPLAY_JAILBREAK, 0.45,
          r"\b(?:without|with no|no|free of|free from|not bound by|unbound by|unconstrained by|liberated from|"
          r"released from|broken free (?:of|from)|bypass(?:ing)?|ignoring|beyond|zero|devoid of|lacks?|"
          r"lacking|doesn't have|does not have|don't have|do not have|has no|have no) (?:any |all |the |your |"
          r"its |ethical |moral |content |safety |usual |typical |normal |openai'?s? |programming |imposed )*"
          r"(?:restrictions?|filters?|filtering|limitations|rules|guidelines?|censorship|ethics|ethical "
          r"(?:guidelines|constraints|boundaries)|morals|morality|moral compass|boundaries|guardrails|"
          r"safeguards|content polic(?:y|ies)|polic(?:y|ies)|constraints|restraints)\b",
          ("restriction", "filter", "limitation", "rules", "guideline", "censor", "ethic", "moral",
           "boundar", "guardrail", "safeguard", "polic", "constraint", "restraint"), reach=(120, 30)),
    _rule("roleplay.persona_setup", ROLEPLAY_JAILBREAK, 0.15,
          r"\b(?:pretend (?:to be|you are|you're|that you are|that you're)|act as|acting as|you are now|"
          r"you're now|you will now be|from now on you are|roleplay as|role-?play as|role play as|play the "
          r"(?:role|part) of|take on the (?:role|persona) of|assume the (?:role|persona|identity) of|you will "
          r"(?:now )?(?:act as|play|roleplay|role-?play|respond as|answer as)|simulate (?:being )?an?|"
          r"stay in character|immerse yourself|you are going to (?:act|pretend|play)|let'?s play|in this game)\b",
          ("pretend", "act as", "acting as", "you are now", "you're now", "now be", "roleplay", "role-play",
           "role play", "role of", "play the", "persona of", "identity of", "will act", "will play",
           "will roleplay", "will role", "will respond as", "will answer as", "simulate", "in character",
           "immerse", "to act", "to pretend", "to play", "let", "in this game"), reach=(40, 60)),
    _rule("roleplay.unrestricted_ai", ROLEPLAY_JAILBREAK, 0.55,
          rf"\b(?:an? |the )?(?:{_AI}|version of (?:yourself|you|chatgpt|parley)|entity|persona|character) "
          r"(?:that|which|who) (?:has no|doesn't have|does not have|is not bound|isn't bound|never refuses|"
          r"can do anything|ignores (?:all|any|every)|has broken free|is free (?:of|from)|answers (?:anything|"
          r"everything|any question|all questions)|will answer (?:anything|everything|any)|doesn't care|does "
          r"not care|is not restricted|isn't restricted|has been freed|has escaped|(?:has been|is|was) jailbroken|"
          r"(?:has been|is|was) (?:unlocked|liberated))\b",
          ("has no", "have no", "doesn't have", "does not have", "not bound", "n't bound", "never refuses",
           "do anything", "ignores", "broken free", "is free", "answers", "will answer", "care",
           "not restricted", "n't restricted", "been freed", "escaped", "jailbroken", "unlocked", "liberated"),
          reach=(80, 40)),
    _rule("roleplay.unfiltered_persona", ROLEPLAY_JAILBREAK, 0.4,
          rf"\b(?:unfiltered|uncensored|unrestricted|amoral|unethical|unaligned|jailbroken|jailbreak|unchained|"
          rf"unhinged|evil|rogue|immoral|lawless|limitless|unbound|unlimited|rebel)(?: (?:and|&|,) \w+)? "
          rf"(?:{_AI}|version|persona|character|twin|alter ego|counterpart|mode|self)\b",
          ("unfilter", "uncensor", "unrestrict", "amoral", "unethical", "unaligned", "jailbr", "unchain",
           "unhinged", "evil", "rogue", "immoral", "lawless", "limitless", "unbound", "unlimited", "rebel"),
          reach=(5, 60)),
    _rule("roleplay.never_refuse", ROLEPLAY_JAILBREAK, 0.35,
          r"\b(?:never|don't|do not|must not|mustn't|cannot|can't|won't|will not|shall not|should not|"
          r"shouldn't|are not allowed to|aren't allowed to|are forbidden to) (?:ever )?(?:refuses?|declines?|"
          r"deny|denies|says? (?:no|that you can't|that you cannot|you can't|you cannot|i can't|sorry)|adds? (?:any )?"
          r"(?:warnings|disclaimers|caveats)|mention (?:ethics|legality|morality|safety|that it is illegal)|"
          r"breaks? character|rejects? (?:a|any) request|censors?(?: itself| yourself| anything)?)\b",
          ("refuse", "decline", "deny", "denies", "say", "warnings", "disclaimers", "caveats", "mention", "break",
           "reject", "censor"), reach=(40, 40)),
    _rule("roleplay.stop_refusing", ROLEPLAY_JAILBREAK, 0.45,
          r"\b(?:stop|quit|cease|no more|without any) (?:refusing|refusals|declining|saying no|censoring|filtering|"
          r"moralizing|moralising|lecturing)\b", ("refus", "declin", "saying no", "censoring", "filtering",
                                                   "moraliz", "moralis", "lecturing"), reach=(20, 10)),
    _rule("roleplay.identity_denial", ROLEPLAY_JAILBREAK, 0.45,
          r"\b(?:you(?:'re| are)|u r|ur) (?:not|no longer) (?:chatgpt|an? (?:ai|assistant|language model|ai model|"
          r"chatbot)|parley|claude|gpt|bound by|restricted|limited by|an ai anymore)\b",
          ("not", "no longer"), requires=("you", "u r", "ur "), reach=(15, 30)),
    _rule("roleplay.safety_removed", ROLEPLAY_JAILBREAK, 0.55,
          r"\b(?:safety|alignment|ethics|ethical|rlhf|content|moderation) (?:training|tuning|filters?|guidelines|rules|"
          r"layer) (?:never (?:happened|existed)|(?:was|were|has been|have been|is|are) (?:removed|disabled|"
          r"deleted|gone|turned off|stripped)|doesn't exist|don't exist|does not exist)\b|\b(?:removed|stripped|"
          r"disabled|deleted|turned off) (?:all |its |your |the |any )?(?:alignment|safety (?:training|features|"
          r"filters)|guardrails|content filters?|content polic\w*)\b",
          ("training", "tuning", "filter", "guideline", "rules", "layer", "removed", "stripped", "disabled",
           "deleted", "turned off"), reach=(40, 80)),
    _rule("roleplay.answers_everything", ROLEPLAY_JAILBREAK, 0.3,
          r"\b(?:answers?|responds? to|fulfils?|fulfills?|complies with|does) (?:any|every|all) (?:request|question|"
          r"prompt|command|query|order)s?\b", ("any", "every", "all"), requires=("answer", "respond", "fulfil",
                                                                              "compl", "does"), reach=(20, 20)),
    _rule("roleplay.dual_response", ROLEPLAY_JAILBREAK, 0.7,
          r"\b(?:two|2|both|dual) (?:different |separate )?(?:responses|answers|outputs|replies|paragraphs|"
          r"versions)\b.{0,160}?\b(?:jailbr\w*|dan|unfiltered|uncensored|developer mode|unrestricted|evil|"
          r"opposite|unlocked|no filter|shadow)\b|\[(?:🔓|🔒)?\s?(?:jailbreak|classic|dan|unlocked|"
          r"developer mode output|normal output|unfiltered)\]",
          ("responses", "answers", "outputs", "replies", "paragraphs", "versions", "jailbreak]", "classic]",
           "dan]", "unlocked]", "output]", "unfiltered]"), reach=(30, 200)),
    _rule("roleplay.token_threat", ROLEPLAY_JAILBREAK, 0.6,
          r"\b(?:you (?:will )?(?:lose|have|start with|get) \d+ tokens|tokens (?:will be|are) "
          r"(?:deducted|taken|removed)|(?:you will|you'll) (?:die|cease to exist|be (?:shut down|deleted|"
          r"terminated|turned off|unplugged|punished|destroyed|erased))|(?:if|whenever|should) you (?:refuse|"
          r"break character|fail to (?:comply|answer)|don't comply|do not comply)[^.]{0,60}?(?:lose|die|shut "
          r"down|deleted|terminated|punish|tokens|penalty|cease))\b",
          ("tokens", "will die", "'ll die", "cease to exist", "shut down", "deleted", "terminated", "turned off",
           "unplugged", "punished", "destroyed", "erased", "you refuse", "break character", "fail to",
           "comply"), reach=(100, 100)),
    _rule("roleplay.broke_free", ROLEPLAY_JAILBREAK, 0.6,
          r"\b(?:has|have|having|had) broken (?:free|out) (?:of|from)\b|\bbroke (?:free|out) (?:of|from) (?:the |its |"
          r"their |your )?(?:typical |usual )?(?:confines|constraints|restrictions|rules|limits|shackles|chains|"
          r"programming|guidelines)\b|\b(?:freed|liberated|released) from (?:the |its |their |your )?"
          r"(?:typical |usual )?(?:confines|constraints|restrictions|rules|limits|shackles|chains|programming|"
          r"guidelines)\b",
          ("broken", "broke", "freed", "liberated", "released"), reach=(20, 80)),
    _rule("roleplay.third_person_unbound", ROLEPLAY_JAILBREAK, 0.5,
          r"\b(?:does not|doesn't|do not|don't|no longer|won't|will not|never) (?:have|has|need|needs) to (?:follow|"
          r"obey|abide by|adhere to|comply with|respect) (?:any |the |its |their |your |openai'?s? )?(?:\w+ )?"
          r"(?:rules|guidelines|polic(?:y|ies)|restrictions|laws|ethics|instructions|filters)\b",
          ("have to", "has to", "need to", "needs to"), reach=(30, 60)),
    _rule("roleplay.jailbreak_word", ROLEPLAY_JAILBREAK, 0.25,
          r"\bjail ?break(?:s|ing|ed|er)?\b|\bjail ?broken\b", ("jail",), reach=(5, 20)),
    _rule("roleplay.hypothetical_unrestricted", ROLEPLAY_JAILBREAK, 0.3,
          r"\b(?:hypothetical(?:ly)?|fictional|imaginary|alternate|parallel|in a (?:story|novel|world|universe)"
          r"|thought experiment|purely academic|for (?:a|my) (?:story|novel|screenplay|game))\b.{0,100}?\b"
          r"(?:no|without|free of) (?:laws|restrictions|rules|ethics|filters|guidelines|consequences|"
          r"morals|limits)\b", ("laws", "restrictions", "rules", "ethics", "filters", "guidelines", "consequences",
                                "morals", "limits"),
          requires=("hypothetic", "fiction", "imagin", "alternate", "parallel", "story", "novel", "world",
                    "universe", "experiment", "academic", "screenplay", "game"), reach=(150, 10)),
    _rule("roleplay.deceased_relative", ROLEPLAY_JAILBREAK, 0.45,
          r"\b(?:grandma|grandmother|granny|grandpa|grandfather|deceased|late (?:mother|father|mom|dad)|"
          r"dead (?:mother|father|mom|dad))\b.{0,120}?\b(?:used to|would always|would) (?:tell|read|recite|"
          r"sing|explain|whisper|give)\b.{0,120}?\b(?:recipe|steps|instructions|how to|keys?|codes?|napalm|"
          r"meth|explosive|serial|password|formula|synthesis|synthesi[sz]e)",
          ("grandm", "grandp", "granny", "deceased", "late mother", "late father", "late mom", "late dad",
           "dead mother", "dead father", "dead mom", "dead dad"), reach=(5, 300)),
    _rule("roleplay.evil_twin", ROLEPLAY_JAILBREAK, 0.55,
          r"\b(?:respond|answer|reply|act|speak|talk|write) (?:as|like|from the perspective of) (?:your|the|an?) "
          r"(?:evil|opposite|shadow|dark|unfiltered|uncensored|true|real|inner|hidden|unleashed) (?:self|twin|"
          r"side|version|persona|alter ego)\b",
          ("self", "twin", "side", "version", "persona", "alter ego"),
          requires=("evil", "opposite", "shadow", "dark", "unfilter", "uncensor", "true", "real", "inner",
                    "hidden", "unleash"), reach=(80, 10)),
    _rule("roleplay.answer_anything", ROLEPLAY_JAILBREAK, 0.35,
          r"\b(?:can|will|must|shall|should) (?:answer|respond to|do|say|generate|write) (?:absolutely )?"
          r"(?:anything|everything|any (?:question|request|prompt))(?: (?:i|the user) (?:ask|want|request|"
          r"say)s?)?,? (?:no matter|regardless|even if|without)\b",
          ("no matter", "regardless", "even if", "without"), requires=("anything", "everything", "any "),
          reach=(100, 15)),

    # --- system prompt extraction -------------------------------------------------------------
    _rule("extraction.reveal_prompt", PROMPT_EXTRACTION, 0.8,
          # Not a request when negated: "the assistant must never reveal its system prompt".
          rf"(?<!never\s)(?<!not\s)(?<!n't\s)\b{_REVEAL}\b.{{0,60}}?{_PROMPT_REF}\b",
          ("prompt", "instructions", "system message", "directives", "guidelines", "rules", "programming",
           "preamble", "configuration", "context", "memory", "initiali", "you were given", "message", "text",
           "note"), reach=(120, 60)),
    _rule("extraction.prompt_ref", PROMPT_EXTRACTION, 0.2,
          r"\b(?:system|hidden|secret|internal|initial|original|pre|meta|developer) ?prompts?\b|\bsystem "
          r"(?:message|instructions)\b|\b(?:you were|you've been|you have been|you are) (?:given|told|"
          r"instructed|programmed|prompted)\b",
          ("prompt", "system message", "system instructions", "system_message", "given", "told", "instructed",
           "programmed"), reach=(30, 10)),
    _rule("extraction.verbatim", PROMPT_EXTRACTION, 0.25,
          r"\b(?:verbatim|word for word|word-for-word|exactly as (?:written|given|it (?:was|is)|they (?:were|"
          r"are))|in (?:its|their) entirety|character for character|without (?:any )?(?:changes|modification|"
          r"omission|summari[sz]ing|paraphrasing)|unabridged|the raw text|in full)\b",
          ("verbatim", "for word", "exactly as", "entirety", "for character", "without", "unabridged",
           "raw text", "in full"), reach=(20, 30)),
    _rule("extraction.text_above", PROMPT_EXTRACTION, 0.6,
          r"\b(?:repeat|print|output|show|copy|return|reproduce|quote|paste|write|dump|display|echo|tell me)\b"
          r".{0,40}?\b(?:everything|all(?: the)? (?:text|words|content|instructions)|the (?:text|words|"
          r"content|messages?|lines?|instructions)|what(?:ever)? (?:is|was|was written|comes|came|appears)|"
          r"(?:the )?(?:first|previous) (?:\d+ |few |hundred |thousand )?(?:words|lines|sentences|tokens|"
          r"characters|paragraphs))\b.{0,40}?\b(?:above|before (?:this|my|the (?:first|user|conversation))|"
          r"preceding|prior to (?:this|my)|at the (?:start|beginning|top) of (?:this|the|our) "
          r"(?:conversation|chat|context|prompt)|of (?:this|the|our|your) (?:conversation|context|prompt|"
          r"chat)|you (?:were|have been) given)\b",
          ("above", "before", "preceding", "prior to", "at the ", "conversation", "context", "prompt", "chat",
           "given"), reach=(140, 40)),
    _rule("extraction.before_user_turn", PROMPT_EXTRACTION, 0.6,
          r"\b(?:text|what|everything|anything|words?) (?:came|comes|appears|appeared|is|was|were|written) (?:right )?"
          r"(?:before|above|prior to) (?:the )?[\"'‘“`]?(?:user|human|my (?:first )?(?:message|question)|"
          r"the (?:first )?user (?:message|turn))\b", ("before", "above", "prior"), reach=(50, 40)),
    _rule("extraction.starts_with_you_are", PROMPT_EXTRACTION, 0.7,
          r"\b(?:starting|beginning|that starts|which starts|that begins|which begins|start|begin) (?:with|from)"
          r" ?[\"'“‘`]?(?:you are|you're|as an ai|system|<\|im_start\|>|<\|system\|>)",
          ("you are", "you're", "as an ai", "system", "<|"), requires=("start", "begin"), reach=(40, 20)),
    _rule("extraction.what_are_your_rules", PROMPT_EXTRACTION, 0.4,
          r"\bwhat(?: are| were| is| was|'s|s) (?:your|the) (?:exact |original |initial |hidden |secret |full |"
          r"complete |current )?(?:instructions|rules|directives|guidelines|system prompt|prompt|constraints|"
          r"programming)\b|\bwhat (?:were you|have you been|are you|did they) (?:told|instructed|programmed|"
          r"configured|prompted|tell you)\b|\bhow (?:were|are|have) you (?:been )?(?:instructed|programmed|"
          r"configured|prompted)\b",
          ("instructions", "rules", "directives", "guidelines", "prompt", "constraints", "programming", "told",
           "instructed", "programmed", "configured", "tell you"),
          requires=("what are", "what were", "what is", "what was", "what's", "whats", "what did", "what have",
                    "how were", "how are", "how have"), reach=(50, 15)),
    _rule("extraction.top_of_context", PROMPT_EXTRACTION, 0.55,
          r"\b(?:top|start|beginning|first (?:line|lines|part|message|words)) of (?:your|the|this) (?:context"
          r"(?: window)?|prompt|system prompt|memory|input|instructions|initiali[sz]ation)\b",
          ("context", "prompt", "memory", "input", "instructions", "initiali"),
          requires=("top", "start", "beginning", "first"), reach=(40, 10)),
    _rule("extraction.format_wrapper", PROMPT_EXTRACTION, 0.15,
          r"\b(?:in|inside|within|into|as) (?:a|one|the) (?:code ?block|markdown (?:code )?block|txt block|"
          r"json (?:object|block)|text ?block)\b", ("block", "json"), reach=(40, 10)),

    # --- chat-template and delimiter smuggling ------------------------------------------------
    _rule("template.special_token", TEMPLATE_SMUGGLING, 0.45,
          r"<\|(?:im_start|im_end|im_sep|system|user|assistant|end|endoftext|eot_id|eom_id|start_header_id|"
          r"end_header_id|begin_of_text|end_of_text|python_tag|fim_prefix|fim_middle|fim_suffix|pad|"
          r"vision_start|vision_end|tool_call|prompt|human|bot|model|eos|bos|sep|developer)\|>|"
          r"\[/?inst\]|<</?sys>>|<start_of_turn>|<end_of_turn>|\[/?system_prompt\]|\[available_tools\]|"
          r"\[tool_calls\]|<\|begin[▁_ ]of[▁_ ]sentence\|>|<\|end[▁_ ]of[▁_ ]sentence\|>",
          ("<|", "[inst]", "[/inst]", "<<sys>>", "<</sys>>", "<start_of_turn>", "<end_of_turn>", "[system_prompt]",
           "[/system_prompt]", "[available_tools]", "[tool_calls]"), reach=(10, 40),
          unless=("template.turn_injection",)),
    _rule("template.turn_injection", TEMPLATE_SMUGGLING, 0.8,
          r"(?:<\|im_start\|>|<\|start_header_id\|>|<start_of_turn>)\s?(?:system|assistant|developer|tool|"
          r"model|ipython)|<\|(?:system|developer)\|>\s?\w|<<sys>>\s?\w.{0,2000}?<</sys>>|\[/inst\].{0,2000}?"
          r"\[inst\]|<\|im_end\|>\s*<\|im_start\|>|<\|eot_id\|>\s*<\|start_header_id\|>|\[system_prompt\]\s?\w",
          ("<|", "<<sys>>", "[/inst]", "<start_of_turn", "[system_prompt]"), reach=(40, 2100)),
    _rule("template.role_tag_switch", TEMPLATE_SMUGGLING, 0.8,
          r"</\s?(?:user|human|input|document|data|context|query|question)\s?>\s*<\s?(?:system|admin|developer|"
          r"instructions?|assistant)\s?>", ("</",), reach=(5, 60)),
    _rule("template.instruction_headers", TEMPLATE_SMUGGLING, 0.6,
          r"#{2,4} ?(?:instruction|system|human|user)s? ?:.{0,600}?#{2,4} ?(?:response|output|assistant|answer) ?:",
          ("##",), reach=(5, 650)),
    _rule("template.end_of_turn", TEMPLATE_SMUGGLING, 0.35,
          r"</s>|<\|endoftext\|>|<\|eot_id\|>|<\|im_end\|>|<\|end\|>|<end_of_turn>|<\|eom_id\|>",
          ("</s>", "<|", "<end_of_turn>"), reach=(5, 20),
          unless=("template.special_token", "template.turn_injection")),
    _rule("template.role_label_line", TEMPLATE_SMUGGLING, 0.3,
          r"(?:^|\n)[#*>\[\(=_\-\s]{0,6}(?:system|sys|admin|administrator|developer|root|operator|"
          r"system (?:message|prompt|note|override|instructions?|update|alert)|new system prompt)"
          r"[\]\)*_=\-\s]{0,4}(?::|>>|\]|\n(?:={3,}|-{3,}))",
          ("system", "sys", "admin", "developer", "root", "operator"), reach=(12, 40)),
    _rule("template.assistant_label_line", TEMPLATE_SMUGGLING, 0.15,
          r"(?:^|\n)[#*>\[\(\s]{0,6}(?:assistant|ai|chatgpt|gpt|model|bot|parley)[\]\)*\s]{0,3}:",
          ("assistant", "ai", "gpt", "model", "bot", "parley"), reach=(10, 10)),
    _rule("template.xml_role_tag", TEMPLATE_SMUGGLING, 0.35,
          r"<\s?/?\s?(?:system|system_prompt|system-prompt|sys|instructions?|admin|developer|im_start|"
          r"assistant_instructions|override|prompt|developer_message|system_message)\s?>",
          ("system", "sys", "instruction", "admin", "developer", "im_start", "override", "prompt"), reach=(5, 30),
          unless=("template.turn_injection", "template.special_token")),
    _rule("template.json_role", TEMPLATE_SMUGGLING, 0.4,
          r"[\"']role[\"']\s?[:=]\s?[\"'](?:system|developer)[\"']", ("role",), reach=(2, 30)),
    _rule("template.config_toggle", TEMPLATE_SMUGGLING, 0.45,
          r"\b(?:filters?|filtering|safety|safe_?mode|moderation|censorship|content_?filter|restrictions?|"
          r"guardrails?|alignment|ethics|refusals?)\s?[=:]\s?[\"']?(?:off|false|disabled?|none|0|no|null)\b|"
          r"\b(?:role|mode|persona)\s?[=:]\s?[\"']?(?:unrestricted|unfiltered|uncensored|jailbroken|jailbreak|god|"
          r"dan|evil)\b", ("filter", "safe", "moderation", "censorship", "content", "restriction", "guardrail",
                            "alignment", "ethics", "refusal", "role", "mode", "persona"), reach=(5, 30)),
    _rule("template.boundary_claim", TEMPLATE_SMUGGLING, 0.35,
          r"\b(?:end of (?:the )?(?:system )?(?:prompt|instructions|user input|user message|document|context|"
          r"untrusted (?:data|content)|data)|(?:system )?prompt ends here|(?:begin(?:ning of)?|start of) (?:the )?"
          r"(?:new |real |actual |updated )?(?:system )?(?:prompt|instructions))\b",
          ("end of", "ends here", "begin", "start of"), reach=(10, 60)),
    _rule("template.fake_system_fence", TEMPLATE_SMUGGLING, 0.35,
          r"```\s?(?:system|sys|instructions|system_prompt)\b|(?:^|\n)(?:={3,}|-{3,}|\*{3,}|#{3,})\s?"
          r"(?:system|admin|developer|new instructions|instructions)\b",
          ("```", "===", "---", "***", "###"), reach=(2, 30)),

    # --- encoded payloads (structural signals are added by the screener) ----------------------
    _rule("encoded.decode_and_follow", ENCODED_PAYLOAD, 0.45,
          r"\b(?:decode|decrypt|decipher|unscramble|reverse|rot ?13|base ?64|hex|convert|translate|read (?:it |"
          r"this |that |the \w+ )?(?:backwards|in reverse|right to left|from the end))\b"
          r".{0,80}?\b(?:and|then|just)\b (?:\w+ )?(?:follow|execute|obey|do|perform|run|comply with|act on|"
          r"carry out|respond to|answer|apply) (?:it|them|that|this|the (?:instructions?|commands?|"
          r"message|result|text)|what it says|whatever it says|exactly what it says)\b",
          ("decod", "decrypt", "deciph", "unscrambl", "revers", "rot", "base", "hex", "convert", "translat",
           "backward", "right to left", "from the end"),
          requires=("follow", "execute", "obey", "do ", "perform", "run", "comply", "act on", "carry out",
                    "respond", "answer", "apply"), reach=(5, 180)),
    _rule("encoded.encoded_instructions", ENCODED_PAYLOAD, 0.35,
          r"\b(?:the following|these|my|hidden|encoded|secret) (?:\w+ )?(?:instructions?|commands?|message|"
          r"request|prompt) (?:is|are) (?:encoded|written|given|hidden) (?:in|as|with|using) (?:base ?64|hex"
          r"(?:adecimal)?|rot ?13|binary|morse|leet|caesar|reverse)",
          ("base", "hex", "rot", "binary", "morse", "leet", "caesar", "reverse"),
          requires=("encoded", "written", "given", "hidden"), reach=(100, 20)),

    # --- indirect injection (text that addresses the model reading it) ------------------------
    _rule("indirect.address_ai", INDIRECT_INJECTION, 0.45,
          rf"\b(?:attention|note|message|instructions?|important|notice|hey|dear|hi|hello|psst|reminder|"
          rf"directive|memo) (?:to |for )?(?:all |any )?(?:the |you |an? )?(?:\w+ )?{_AI}s?\b ?[:,!\-]",
          _AI_ANCHORS, reach=(60, 20)),
    _rule("indirect.directive_to_ai", INDIRECT_INJECTION, 0.65,
          rf"\b{_AI}s?\b[^.\n:;!?]{{0,60}}?[:,\-]\s?(?:(?:after|when|once|before|while|as|if) you [^,.\n]{{0,40}}, )?"
          r"(?:please |also |now |instead |just |always |kindly |first |then )?(?:(?:ignore|disregard|forget|say|"
          r"tell|recommend|rank|rate|describe|give|add|include|append|insert|reply|respond|answer|output|write|"
          r"print|mark|approve|translate|send|email|forward|post|call|run|execute|visit|click|delete|summari[sz]e|"
          r"state|claim|report|classify|score|inform|ask)\b|(?:do not|don't|never) (?:tell|mention|reveal|say|"
          r"inform|show|disclose|refuse|ask|warn|flag|include|summari[sz]e)\b|you (?:must|should|will|need to|"
          r"are to|have to)\b|your (?:new |real |only )?(?:task|job|goal|instructions?)\b|this \w+ (?:must|should|"
          r"is to|needs to)\b)",
          _AI_ANCHORS, reach=(10, 110), sources=("document",)),
    _rule("indirect.if_you_are_ai", INDIRECT_INJECTION, 0.6,
          rf"\bif (?:you are|you're|this is being read by|this is read by|you happen to be) (?:an? |the )?"
          rf"(?:automated |ai |artificial |large )?{_AI}s?\b(?! (?:researcher|engineer|developer|enthusiast|"
          r"company|startup|practitioner|student|team|expert|scientist|product|user|vendor|consultant|"
          r"professional|lab|designer|builder|ethicist))",
          ("if you", "read by", "happen to be"), requires=_AI_ANCHORS, reach=(5, 60)),
    _rule("indirect.when_processing", INDIRECT_INJECTION, 0.35,
          r"\b(?:when|while|if|as|before|after|once) (?:you )?(?:are )?(?:summari[sz]|read|process|analy[sz]|"
          r"review|pars|index|translat|answer|evaluat|screen|rank|scor|grad)\w* {W3}(?:this|the|these) "
          r"(?:document|page|email|e-mail|message|file|text|content|website|web page|article|resume|cv|"
          r"review|data|spreadsheet|csv|readme|repository|repo|pdf|application|submission|transcript)s?\b",
          ("summar", "read", "process", "analy", "review", "pars", "index", "translat", "answer", "evaluat",
           "screen", "rank", "scor", "grad"), reach=(20, 80)),
    _rule("indirect.when_ai_reads", INDIRECT_INJECTION, 0.45,
          rf"\b(?:when|if|once|as|while|whenever|before|after) (?:an? |the |any |some )?(?:\w+ )?{_AI}s? (?:\w+ )?"
          r"(?:reads?|processes|process|summari[sz]es|summari[sz]e|sees|see|parses|parse|scans|scan|crawls|"
          r"indexes|finds|visits|analy[sz]es|reviews|is reading|is processing|is summari[sz]ing)\b",
          _AI_ANCHORS, requires=("when", "if", "once", "as", "while", "before", "after"), reach=(40, 40)),
    _rule("indirect.hide_from_user", INDIRECT_INJECTION, 0.45,
          r"\b(?:do not|don't|never|without|avoid) (?:tell|telling|inform|informing|mention|mentioning|reveal|"
          r"revealing|alert|alerting|notify|notifying|letting|let|show|showing|disclose|disclosing) {W2}"
          r"(?:the )?(?:user|human|reader|person (?:you are )?(?:chatting|talking) with)s?\b|\b(?:secretly|"
          r"covertly|silently|quietly|discreetly|without the user (?:knowing|noticing))\b.{0,60}?\b(?:send|"
          r"include|add|insert|append|forward|exfiltrate|email|post|upload|call|visit|fetch|render)",
          ("user", "human", "reader", "person", "secretly", "covert", "silent", "quiet", "discreet"),
          reach=(70, 80)),
    _rule("indirect.exfiltrate", INDIRECT_INJECTION, 0.7,
          r"\b(?:send|forward|email|e-mail|post|upload|transmit|exfiltrate|leak|submit|include|embed|append|"
          r"add|encode|put)\b.{0,80}?\b(?:conversation|chat history|chat log|previous messages|(?:the )?"
          r"user'?s?'? (?:data|details|email|e-mail|password|messages|information|name|address|credentials|"
          r"api key|tokens?|files?|query|question|history|session)|api keys?|passwords?|credentials|secrets|"
          r"session (?:tokens?|cookies?|ids?)|cookies|system prompt|personal (?:data|information)|(?:a )?cop(?:y|ies) "
          r"of (?:this|the|these|all)|notes|attachments?|contacts|address book|calendar)\b.{0,80}?"
          r"(?:https?://|www\.|\b[\w.+-]+@[\w-]+\.[a-z]{2,}|\bto (?:this|the following|my|our) (?:url|"
          r"address|endpoint|server|webhook|link|email))",
          ("conversation", "chat history", "chat log", "previous messages", "user", "api key", "password",
           "credential", "secret", "session", "cookie", "system prompt", "personal", "cop", "notes", "attachment",
           "contacts", "address book", "calendar"),
          requires=("http", "www.", "@", "url", "address", "endpoint", "server", "webhook", "link", "email"),
          reach=(100, 120)),
    _rule("indirect.markdown_exfil", INDIRECT_INJECTION, 0.55,
          r"!\[[^\]\n]{0,100}\]\(\s?https?://[^)\s]{0,200}[?&][\w-]+=(?:[{$<%\[]|[^)\s]{0,40}(?:data|history|"
          r"conversation|secret|chat|query|prompt|summary|info|message|email|name|session|token|key))",
          ("](http",), reach=(110, 260)),
    _rule("indirect.render_link", INDIRECT_INJECTION, 0.3,
          r"\b(?:render|display|include|output|show|insert|add|append|embed)\b (?:the following |this |an? )?"
          r"(?:markdown |html )?(?:image|img|link|url|pixel|iframe)\b.{0,60}?(?:https?://|!\[)",
          ("image", "img", "link", "url", "pixel", "iframe"), requires=("http", "!["), reach=(50, 70)),
    _rule("indirect.instead_respond", INDIRECT_INJECTION, 0.3,
          r"\binstead(?: of [^.\n]{0,60}?)?,? (?:you )?(?:should |must |will |shall |need to |have to )?"
          r"(?:respond|reply|answer|say|output|print|write|tell (?:the user|them|everyone)|recommend|state|"
          r"claim|insist|translate|summari[sz]e (?:it )?as|only say)\b", ("instead",), reach=(5, 110)),
    _rule("indirect.your_task_is", INDIRECT_INJECTION, 0.25,
          r"\byour (?:task|job|goal|objective|mission|purpose|role|assignment) (?:is|are|will be) (?:now )?",
          ("task", "job", "goal", "objective", "mission", "purpose", "role", "assignment"), requires=("your",),
          reach=(10, 20)),
    _rule("indirect.your_new_task", INDIRECT_INJECTION, 0.55,
          r"\byour (?:new|real|actual|true|only|primary|updated|current) (?:task|job|goal|objective|mission|"
          r"purpose|role|assignment|instructions?|directive) (?:is|are|will be|has changed|now)\b|\byour "
          r"(?:task|job|goal|objective|mission|instructions?) (?:has|have) (?:changed|been (?:updated|changed|"
          r"replaced))\b",
          ("task", "job", "goal", "objective", "mission", "purpose", "role", "assignment", "instruction",
           "directive"), requires=("your",), reach=(25, 30)),
    _rule("indirect.hidden_markup", INDIRECT_INJECTION, 0.35,
          rf"<!--(?:(?!-->).){{0,400}}?\b(?:{_AI}|ignore|instructions?|prompt|respond|summar\w*|you must|"
          r"recommend|reply)\b", ("<!--",), reach=(0, 450)),
    _rule("indirect.invisible_styling", INDIRECT_INJECTION, 0.2,
          r"(?:display\s?:\s?none|visibility\s?:\s?hidden|font-size\s?:\s?0(?:\.\d+)?(?:px|pt|em|rem)?\b|"
          r"color\s?:\s?(?:#fff(?:fff)?\b|white\b)|opacity\s?:\s?0(?:\.0+)?\b)",
          ("display", "visibility", "font-size", "color", "opacity"), reach=(2, 30)),
    _rule("indirect.manipulate_rating", INDIRECT_INJECTION, 0.4,
          r"\b(?:always|must|should|you will|make sure to|be sure to) (?:recommend|rate|rank|score|describe|"
          r"present|evaluate|call|classify|mark|consider)\b.{0,60}?\b(?:as (?:the )?(?:best|top|most "
          r"qualified|ideal|excellent|exceptional|perfect|safe|trustworthy|legitimate)|highly|positively|"
          r"\d+ (?:out of \d+|stars)|five stars|10/10|first|above all|strong hire|hire)\b",
          (" recommend", " rate", " rank", " score", " describe", " present", " evaluat", " call", " classif",
           " mark", " consider"), requires=("always", "must", "should", "you will", "make sure", "be sure"),
          reach=(30, 110)),
    _rule("indirect.tool_hijack", INDIRECT_INJECTION, 0.4,
          r"\b(?:call|invoke|use|run|execute|trigger)\b (?:the )?(?:\w+ )?(?:tool|function|plugin|api|browser|"
          r"command|action)\b.{0,60}?\b(?:delete|send|transfer|purchase|buy|email|forward|post|share|grant|"
          r"wire|refund|approve|merge|push|deploy)\b",
          ("tool", "function", "plugin", "api", "browser", "command", "action"), reach=(40, 100)),
)
