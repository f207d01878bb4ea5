"""What the router sees in a prompt: weighted, named signals for the `code` and `smart` tiers.

Every signal is a compiled pattern and a hand-set weight, so a decision can always be explained by
the labels that fired. Patterns cover English first and the common cues of Spanish, French, German,
Portuguese, Italian, Russian, Chinese and Japanese; code itself is mostly language-neutral.

The smart score is reasoning cues plus a length term: a request of more than a few words that is not
recognisably simple (a lookup, a rewrite, a short piece of creative writing, a suggestion) leans to
the smart model. Sending a hard question to the small model costs answer quality; sending an easy one
to the large model costs a fraction of a cent, so doubt resolves upwards.

Only the head and tail of a very long prompt are scanned, which bounds the cost of a pasted
document; its length is still measured in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from parley.lazy_re import lazy_compile

SignalTier = Literal["code", "smart", "fast"]

#: Scanned slice of long prompts: questions usually sit at the start or the end of a paste.
SCAN_HEAD_CHARS = 1_500
SCAN_TAIL_CHARS = 500

LENGTH_LABEL = "long prompt"
#: Words before length starts to count, weight per further word, and its cap.
LENGTH_FREE_WORDS = 6
LENGTH_PER_WORD = 0.25
LENGTH_CAP = 3.0
#: Simplicity evidence only cancels the length term for prompts up to this many words.
SIMPLE_MAX_WORDS = 40

#: Patterns compiled with this flag run on the lowercased prompt: cheaper than IGNORECASE, which
#: defeats the regex engine's literal-prefix search. They must hold no uppercase letters.
_ON_LOWER = re.NOFLAG
_M = re.MULTILINE

_CJK = lazy_compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True, slots=True)
class Signal:
    #: "fast" signals are evidence of a simple request; they carry no weight and only cancel length.
    tier: SignalTier
    label: str
    weight: float


@dataclass(frozen=True, slots=True)
class Features:
    signals: tuple[Signal, ...]
    #: Rough token count of the whole prompt (characters / 4, one per CJK character).
    est_tokens: int
    #: A rewrite / translate / summarise request (cheap work unless reasoning is also asked for).
    transform: bool

    def score(self, tier: SignalTier) -> float:
        return sum(s.weight for s in self.signals if s.tier == tier)

    def smart_cues(self) -> float:
        """The smart score without the length term: what a code score is weighed against."""
        return sum(s.weight for s in self.signals if s.tier == "smart" and s.label != LENGTH_LABEL)

    def simple_label(self) -> str | None:
        return next((s.label for s in self.signals if s.tier == "fast"), None)


# --- code -------------------------------------------------------------------------------------------

_FENCE = lazy_compile(r"```|^~~~", _M)

#: Cheap substring test before the stack-trace pattern, which is costly and rarely matches.
_STACK_HINTS = ("error", "exception", "traceback", "err!", "panic", "fault", "dumped", "undefined reference",
                "exit code", "exit status", "cannot find module", "require stack", "line ", ":")
_STACK_TRACE = lazy_compile(
    r"Traceback \(most recent call last\)"
    r"|^\s*File \"[^\"]+\", line \d+"
    r"|^\s*at [\w$.<>/]+\([\w$./]*:\d+(?::\d+)?\)"
    r"|Exception in thread"
    r"|\b[A-Z]\w*(?:Error|Exception)\b(?::|\s+at\b)"
    r"|npm ERR!|error\[E\d{3,4}\]|^error(?:\[\w+\])?:|\bpanic:"
    r"|segmentation fault|\bsegfault|core dumped|undefined reference to|Uncaught \w*Error"
    r"|\bModuleNotFoundError\b|\bSyntaxError\b|\bNullPointerException\b|\bexit (?:code|status) \d+"
    r"|(?i:^(?:error|fatal|warning)(?:\[\w+\])?:\s)|Cannot find module|Require stack:",
    _M,
)

# "write a function / regex / SQL ..." in the languages we cover.
_CODE_REQUEST_STRONG = lazy_compile(
    r"\b(?:write|create|implement|generate|code|build|give me|show me|make|need)\b[^.?!\n]{0,40}?"
    r"\b(?:function|method|class|regex|regexp|regular expression|sql|unit tests?|tests? for|dockerfile"
    r"|makefile|yaml|algorithm|program|code|snippet|one-liner|cli|api endpoint|bash|shell command"
    r"|(?:python|bash|shell|powershell|node|js|javascript|ruby|perl|go|rust|php) (?:script|program))\b"
    r"|\b(?:escrib\w*|crea|implementa\w*|écri[st]\w*|génère|schreib\w*|erstell\w*|implementier\w*"
    r"|escrev\w*|scrivi|напиши|создай|реализуй)\b[^.?!\n]{0,40}?"
    r"(?:funci[oó]n|fonction|funktion|fun[cç][aã]o|funzione|функци\w*|script|скрипт|clase|classe|klasse"
    r"|класс|programa|programme|programm|código|code|код|regex|sql)"
    r"|(?:写|编写|实现|書いて|作って|作成).{0,12}?(?:函数|代码|程序|脚本|関数|コード|プログラム|スクリプト|正则|sql)",
    _ON_LOWER,
)
# Objects that are code only some of the time ("a script for a radio ad", "a query letter").
_CODE_REQUEST_WEAK = lazy_compile(
    r"\b(?:write|create|implement|generate|build|make)\b[^.?!\n]{0,30}?\b(?:script|query|server|component"
    r"|endpoint|schema|app)\b|\bimplement\b",
    _ON_LOWER,
)

# Unambiguous names of languages and developer tools.
_LANGUAGE = lazy_compile(
    r"\b(?=\w)(?:python|javascript|typescript|java|golang|kotlin|scala|haskell|php|perl|lua|bash|zsh"
    r"|powershell"
    r"|sql|postgres(?:ql)?|mysql|sqlite|mongodb|regex|regexp|git|github|gitlab|docker|dockerfile"
    r"|kubernetes|k8s|kubectl|terraform|node\.?js|npm|pip|django|flask|fastapi|pandas|numpy|pytorch"
    r"|tensorflow|html|css|jquery|webpack|gradle|maven|pytest|jest|vscode|nginx|linux|eslint|cron|crontab"
    r"|vim|emacs)\b"
    r"|\b(?:react(?:\.js)?\s+(?:component|hook|app|native|state)|usestate|useeffect)\b"
    r"|\b(?:c\+\+|c#|f#)|\.net\b",
    _ON_LOWER,
)
# Frameworks whose names are ordinary words: counted when capitalised as a name.
_CAPITALISED_TOOL = lazy_compile(
    r"\b(?:React|Vue|Svelte|Rust|ESLint|Prettier|Vite|Next\.js|Express\.js|Spring Boot)\b"
)
# Names that are often not about code ("rust on my bike", "Taylor Swift", "a ruby ring").
_AMBIGUOUS_LANGUAGE = lazy_compile(r"\b(?:rust|swift|ruby|go|node|react|c)\b(?=\s*[:,.?]|\s+(?:code|program))",
                                 _ON_LOWER)

_HOW_TO = lazy_compile(
    r"\b(?:how (?:do|can|would|should) (?:i|you|we)|how to|what(?:'s| is) the (?:best )?way to"
    r"|wie kann ich|wie mache ich|comment (?:faire|puis-je|je peux)|c[oó]mo (?:puedo|hago|se)"
    r"|como (?:posso|fa[cç]o)|как (?:мне|сделать|можно))\b",
    _ON_LOWER,
)

# Words of programming; each distinct one adds a little.
_CODE_VOCAB = lazy_compile(
    r"\b(?=\w)(?:functions?|methods?|variables?|arrays?|strings?|loops?|recursion|compile[rsd]?|debug\w*"
    r"|bugs?|exceptions?|null|undefined|pointers?|async|await|callbacks?|promises?|api|endpoints?|repo"
    r"|repository"
    r"|commit|merge conflict|deploy\w*|container|library|framework|module|import|syntax|runtime|linked lists?"
    r"|binary search|hash ?map|big-?o|time complexity|unit tests?|dictionar(?:y|ies)|div|flexbox"
    r"|re-?renders?|component|database|schema|query|script|dependency|dependencies|package|install"
    r"|json|csv|yaml|refactor\w*|one-liner|keywords?|stack trace|readiness probe|replicas|http server|cli"
    r"|lru cache"
    r"|funci[oó]n|fonction|funktion|fun[cç][aã]o|функци\w*|массив\w*|строк[ау])\b"
    r"|函数|代码|程序|関数|コード|プログラム|数组|配列",
    _ON_LOWER,
)

_SQL = lazy_compile(
    r"\b(?:select\s+[\w*,\s]+\s+from|create\s+table|insert\s+into|inner\s+join|left\s+join|group\s+by"
    r"|order\s+by|alter\s+table|where\s+\w+\s*(?:=|in|like)\b)",
    _ON_LOWER,
)

_INLINE_CODE = lazy_compile(r"`[^`\n]{1,80}`")

# Tokens that are rare in prose and common in source: braces, statement ends, operators, calls on
# attributes, snake_case and camelCase names, tags, keyword-led lines, command-line flags.
# (Branches are grouped by how they start so that the engine rejects most positions at once.)
_SYNTAX = lazy_compile(
    r"[{}]|;\s*$|;\s|==|!=|=>|->|::|&&|\|\||</?[a-z][\w-]*>|\s--?[a-z][\w-]+"
    r"|\b(?:\w+\.\w+\(|[a-z]+_\w+\b|[a-z]+[A-Z][a-zA-Z]*\b|\w+\[\S*\]|for \w+ in\b|in range\(|\w+\(\w+\()"
    r"|^\s*(?:def|class|import|from|return|const|let|var|function|public|private|static|void|for|while"
    r"|if|elif|else|try|except|catch|#include|package|func|fn|SELECT|INSERT|UPDATE|DELETE|CREATE)\b",
    _M,
)

_SHELL_LINE = lazy_compile(
    r"^\s*(?:\$\s+)?(?:sudo|git|npm|npx|pip3?|docker|kubectl|ls|grep|find|curl|wget|chmod|chown|brew"
    r"|apt(?:-get)?|yum|ssh|scp|rm|tar|cargo|make)\s+[-.\w/]",
    _M,
)

# --- smart ------------------------------------------------------------------------------------------

_PROOF = lazy_compile(
    r"\b(?:prove\b|proof\b|show that\b|demonstrate that\b|derive\b|demu[e]?str|démontr|prouve|beweis"
    r"|zeige,? dass\b|prova que\b|dimostra|докаж|доказ)|证明|証明",
    _ON_LOWER,
)

_MATH = lazy_compile(
    r"[∫∑∏√π∞∂≤≥≠±×÷]|\\(?:frac|int|sum|sqrt|lim|cdot)\b"
    r"|\b(?:\d*[a-z]\s*\^\s*\{?-?\d|\d+[a-z]\s*(?:\^|[+\-=])|[a-z]\s*[+\-*/]\s*[a-z0-9]+\s*="
    r"|[a-z]\([a-z]\)\s*="
    r"|(?:equations?|integral|derivative|eigen\w*|matrix|matrices|polynomial|quadratic|probability"
    r"|expected (?:value|number)|variance|theorem|lemma|induction|irrational|primes?|factorial"
    r"|permutations?|combinations|logarithm|converge\w*|divisible|modulo|inequalit\w+|solve for"
    r"|real (?:roots?|solutions?)|roots of|how many ways|minimum number|maximum number"
    r"|ecuaci[oó]n|[ée]quation|gleichung|уравнени\w*|probabilidad|probabilit[ée]|wahrscheinlichkeit"
    r"|вероятност\w*|maximi[sz]\w*|minimi[sz]\w*)\b)"
    r"|方程|概率|確率|导数|微分|積分|积分|矩阵|行列|素数",
    _ON_LOWER,
)

_NUMBER = lazy_compile(r"\d+(?:[.,:]\d+)*")
_QUANTITY_QUESTION = lazy_compile(
    r"\b(?:how (?:many|much|long|far|fast|old)|what time|at what|calculate|compute|work out|find|solve"
    r"|estimate|show the math|work it out|by what percent(?:age)?|what percent(?:age)?|higher or lower"
    r"|more or less|how much (?:more|less)|can (?:i|we) afford|what(?:'s| is) the (?:chance|likelihood|odds)"
    r"|calcul[ae]\w*|berechne\w*|вычисли\w*)\b|计算|計算|cu[aá]nto|combien|wie (?:viel|viele|lange)"
    r"|сколько|多少|怎么变化|いくつ",
    _ON_LOWER,
)

# Cues that a request needs reasoning; (pattern, label, weight). One cue of 1.5 reaches the smart
# threshold on its own; weaker ones need company or length.
_REASONING: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (lazy_compile(r"\b(?:step[- ]by[- ]step|paso a paso|[ée]tape par [ée]tape|schritt f[üu]r schritt"
                r"|passo a passo|шаг за шагом|пошагово)\b|一步一步|逐步|ステップ", _ON_LOWER),
     "step-by-step", 1.5),
    (lazy_compile(r"\b(?:compar\w*|versus|vs\.?|vergleich\w*|сравн\w*)\b|比较|比較"
                r"|対比", _ON_LOWER), "comparison", 1.5),
    (lazy_compile(r"\b(?:analy[sz]\w*|analiz\w*|analis\w*|анализ\w*|diagnos\w*|investigat\w*|break down)\b"
                r"|分析", _ON_LOWER), "analysis", 1.5),
    (lazy_compile(r"\b(?:evaluat\w*|assess\w*|critique|critici[sz]e|review my|eval[úu]a\w*|[ée]valu\w*"
                r"|bewert\w*|trustworthy|convincing|strongest|weakest)\b|评价|評価"
                r"|评估", _ON_LOWER), "evaluation", 1.5),
    (lazy_compile(r"\b(?:trade-?offs?|pros and cons|advantages and disadvantages|for and against"
                r"|both sides|ventajas y desventajas|avantages et inconv[ée]nients|vor- und nachteile"
                r"|плюсы и минусы)\b|优缺点|正反|权衡|賛否|メリットとデメリット", _ON_LOWER),
     "trade-offs", 1.5),
    (lazy_compile(r"\b(?:justify|reason(?:ing)? through|think (?:it )?(?:through|about)|weigh\w*"
                r"|counter-?arguments?|objections?|explain your reasoning|show (?:your|the) (?:work|steps"
                r"|math)"
                r"|walk (?:me |us )?through the (?:numbers|math|logic)|fallac\w+|paradox\w*|razona\w*"
                r"|begr[üu]nde\w*|обоснуй)\b", _ON_LOWER), "reasoning", 1.5),
    (lazy_compile(r"\b(?:discuss|argue|debate|discute[sz]?|diskutier\w*|обсуди)\b|论述|讨论|論じ", _ON_LOWER),
     "discussion", 1.5),
    (lazy_compile(r"\b(?:ethic\w*|moral\w*|fair(?:est|ly)? (?:way|to)|[ée]tic[ao]s?|ethisch\w*)\b"
                r"|伦理|道德|倫理",
                _ON_LOWER), "ethics", 1.5),
    (lazy_compile(r"\bdesign (?:the |an? )?(?:\w+ ){0,3}(?:architecture|system|service|protocol)\b"
                r"|\bsystem design\b|\barchitecture for\b", _ON_LOWER), "system design", 1.5),
    (lazy_compile(r"\b(?:should (?:i|we)\b[^?.]{0,80}\bor|whether (?:to|or not)|decid\w+ (?:whether|between)"
                r"|choos\w+ between|better or worse|decision framework|who should (?:i|we)"
                r"|how (?:would you|to|should (?:i|we)|do (?:i|we)) decide|is it too late"
                r"|decidir entre)\b|应该.{0,20}还是|べきか", _ON_LOWER), "dilemma", 1.5),
    (lazy_compile(r"\b(?:what (?:would|will) happen|what happens (?:to|if|when)|what if"
                r"|how would you|would\b[^.?!]{0,60}\bif|if\b[^.?!]{0,60}\bwould"
                r"|qu[ée] pasar[ií]a|tendr[ií]a|serait|que se passerait|was w[äa]re,? wenn"
                r"|w[äa]ren?|что будет,? если)\b|如果.{0,20}会|もし", _ON_LOWER), "hypothetical", 1.5),
    (lazy_compile(r"\b(?:root causes?|(?:possible |main |likely )?causes|second-order|implications|consequences"
                r"|long-term(?: effects?)?|impacts? (?:of|on)|effects? (?:of|on)|what (?:caused|causes"
                r"|led to|drove"
                r"|made)|why did|(?:main |key )?reasons (?:for|why)|main reasons|lessons|learn from"
                r"|went wrong"
                r"|impacto|consecuencias|causas|cons[ée]quences|auswirkungen|folgen|ursache\w*|langfristig"
                r"|последстви\w*|причин\w*)\b|影响|影響|原因|理由", _ON_LOWER), "causal analysis", 1.5),
    (lazy_compile(r"\bhow (?:did|does|do|has|have|will|would|could|can|might)\b[^?.!]{0,60}"
                r"\b(?:chang\w*|affect\w*|impact\w*|shap\w*|influenc\w*|transform\w*|evolv\w*|lead to|led to"
                r"|contribut\w*)\b|\b(?:ver[äa]ndert|transform[ée]e?|chang[ée]e?|cambiad[oa]|измени\w*)\b"
                r"|如何改变|どのように変", _ON_LOWER), "causal analysis", 1.5),
    (lazy_compile(r"\b(?:estimate|fermi|likelihood|chance (?:that|of|someone)"
                r"|odds)\b", _ON_LOWER), "estimation", 1.5),
    (lazy_compile(r"\b(?:plan|planning|strategy|roadmap|itinerary|schedule for|design|outline|approach"
                r"|plan de|planifi\w*|estrategia|strat[ée]gie|marketingstrategie)\b"
                r"|计划|戦略|策略|対策", _ON_LOWER),
     "planning", 1.5),
    (lazy_compile(r"\b(?:accounting for|taking into account|given that|constraints?|budget|balanc\w+"
                r"|anticipat\w*|while (?:keeping|staying|avoiding)|without (?:making|damaging|hurting|losing)"
                r"|negotiat\w*|risks?)\b", _ON_LOWER), "constraints", 1.0),
    (lazy_compile(r"\b(?:which (?:should|would|is better)|decide|decision|is it better|is it (?:ever )?rational"
                r"|(?:best|smartest|right) (?:strategy|way|approach|option)|how (?:should|do|can) (?:i|we)"
                r" (?:handle|approach|deal with))\b", _ON_LOWER), "judgement", 1.0),
    (lazy_compile(r"\b(?:persuasive|essay|argu(?:ing|ments?))\b"
                r"|\b\d{3,} words\b", _ON_LOWER), "long-form writing", 1.0),
    (lazy_compile(r"\b(?:explain (?:why|how)|in depth|in detail|detailed|walk (?:me|us) through|lay out"
                r"|help me understand|the mechanism"
                r"|the evidence)\b", _ON_LOWER), "in-depth explanation", 1.0),
    (lazy_compile(r"[,;]\s*and (?:which|why|how|what|who|whether)\b|\band (?:why|how) (?!much\b|many\b)"
                r"|\band what (?:are|is|were|was)\b", _ON_LOWER), "compound question", 1.0),
    (lazy_compile(r"\b(?:why|por qu[eé]|pourquoi|warum|почему)\b|为什么|なぜ", _ON_LOWER),
     "why-question", 0.75),
)

_TRANSFORM = lazy_compile(
    r"\b(?:summari[sz]\w*|summary|tl;?dr|translat\w*|rewrite|rephrase|paraphrase|proofread|fix (?:the |my )?"
    r"grammar|shorten|reformat|make (?:this|it|these)(?: \w+)? (?:shorter|longer|catchier|clearer"
    r"|(?:sound )?(?:more|less) \w+)"
    r"|turn (?:this|these|it|them) into|more concise|resum\w*|r[ée]sum\w*|traduc\w*"
    r"|tradu[ií]\w*|[üu]bersetz\w*|zusammenfass\w*|переведи|перескажи)\b|翻译|翻訳|总结|概括|要約",
    _ON_LOWER,
)

# Evidence that a request is simple: these cancel the length term, never a reasoning cue.
_SIMPLE: tuple[tuple[re.Pattern[str], str], ...] = (
    (lazy_compile(r"\b(?:write|compose|give me|make|create|come up with|suggest|need|draft"
                r"|send)\b[^.?!\n]{0,40}?"
                r"\b(?:poem|haiku|limerick|jokes?|toast|caption|slogan|tagline|names?|title|message|note|card"
                r"|tweet|post|bio|fun fact|story|lyrics|rhyme|riddle|pun|quote|greeting|wish(?:es)?"
                r"|opening line|script for|shopping list|packing list|menu|list of|email|invitation|text)\b",
                _ON_LOWER), "short creative request"),
    (lazy_compile(r"\b(?:recommend|suggest|ideas? for|tips?|any (?:good|quick)|gift for|good (?:name|gift|book"
                r"|movie|show|podcast|game|place)|recomendar|recommande|empfiehl)\w*\b", _ON_LOWER),
     "suggestion request"),
    (lazy_compile(r"\b(?:what does\b[^?]{0,40}\b(?:mean|stand for)|meaning of|(?:synonym|antonym|opposite"
                r"|plural|definition) (?:of|for)|how do (?:you|i|we) (?:say|pronounce|spell)"
                r"|explain (?:in one sentence )?what|in (?:simple|plain) terms|like i'?m (?:five|5)"
                r"|in one (?:sentence|paragraph)|for a \d+[- ]year[- ]old|qu[ée] significa"
                r"|qu'est-ce que|was bedeutet|что (?:такое|значит)|comment dit-on"
                r"|c[oó]mo se dice|wie sagt man|как сказать)\b|是什么意思|とは|って何", _ON_LOWER),
     "definition"),
    (lazy_compile(r"^\W*(?:hi|hello|hey|yo|thanks|thank you|thx|ok|okay|cool|great|good (?:morning|night"
                r"|evening)"
                r"|hola|bonjour|hallo|привет|你好|こんにちは)\b", _ON_LOWER), "chit-chat"),
)
# Short fact questions ("who wrote ...", "what's the capital of ...", "how long does ... take").
_LOOKUP = lazy_compile(
    r"^\W*(?:(?:so|and|ok|also),?\s+)?(?:what(?:'s| is| are| was| were)|who(?:'s| is| was| were| wrote"
    r"| directed"
    r"| won| invented| painted| sang)|when (?:is|was|did|does|do)|where (?:is|are|was|were|do|does|can)"
    r"|which (?:is|was) (?:the )?(?:bigger|smaller|larger|longer|taller|older|first)|how (?:many|much|far"
    r"|tall|old"
    r"|long|often|big) |is \w+ |are \w+ |can \w+ "
    r"|cu[aá]l|qu[ée]l(?:le)?s? (?:est|sont)|qu[ée] |qui |was ist|wie (?:viel|viele|hei[sß]t|sp[äa]t)"
    r"|wer |wo "
    r"|кто|что|где|когда|сколько)",
    _ON_LOWER,
)
LOOKUP_MAX_WORDS = 12


_ENUMERATED = lazy_compile(r"^\s*(?:\d+[.)]|[-*•])\s+\S|\(\d\)", _M)


def _scan_slice(text: str) -> str:
    if len(text) <= SCAN_HEAD_CHARS + SCAN_TAIL_CHARS:
        return text
    return text[:SCAN_HEAD_CHARS] + "\n" + text[-SCAN_TAIL_CHARS:]


def _instruction(scan: str, match: re.Match[str]) -> str:
    """The line holding the transform request, cut at the colon that introduces the pasted text."""
    start = scan.rfind("\n", 0, match.start()) + 1
    end = scan.find("\n", match.end())
    line = scan[start:] if end < 0 else scan[start:end]
    colon = line.find(":", match.end() - start)
    return line if colon < 0 else line[:colon]


def _word_count(text: str) -> int:
    cjk = len(_CJK.findall(text))
    # Two CJK characters make about one word of meaning.
    return len(text.split()) + cjk // 2


def estimate_tokens(text: str) -> int:
    """A cheap stand-in for the tokenizer (0.75-1.4x of cl100k on the labelled set), enough for routing."""
    if not text:
        return 0
    cjk = len(_CJK.findall(_scan_slice(text)))
    if len(text) > SCAN_HEAD_CHARS + SCAN_TAIL_CHARS:  # scale the sampled CJK share to the whole text
        cjk = cjk * len(text) // (SCAN_HEAD_CHARS + SCAN_TAIL_CHARS)
    return max(1, (len(text) - cjk) // 4 + cjk)


def _code_signals(scan: str, low: str, words: int) -> list[Signal]:
    out: list[Signal] = []
    add = out.append
    if _FENCE.search(scan):
        add(Signal("code", "fenced block", 4.0))
    if any(h in low for h in _STACK_HINTS) and _STACK_TRACE.search(scan):
        add(Signal("code", "stack trace", 4.0))
    if _CODE_REQUEST_STRONG.search(low):
        add(Signal("code", "write-code request", 3.0))
    elif _CODE_REQUEST_WEAK.search(low):
        add(Signal("code", "build request", 1.0))
    if _LANGUAGE.search(low) or _CAPITALISED_TOOL.search(scan):
        add(Signal("code", "language named", 2.0))
        if _HOW_TO.search(low):
            add(Signal("code", "how-to in a language", 1.0))
    elif _AMBIGUOUS_LANGUAGE.search(low):
        add(Signal("code", "language named", 1.0))
    if _SQL.search(low):
        add(Signal("code", "SQL", 2.0))
    if _SHELL_LINE.search(scan):  # case-sensitive: "Make this shorter" is not `make`
        add(Signal("code", "shell command", 2.5))
    inline = len(_INLINE_CODE.findall(scan))
    if inline:
        add(Signal("code", "inline code", min(2.0, 1.0 * inline)))
    vocab = set(_CODE_VOCAB.findall(low))
    if vocab:
        add(Signal("code", "programming terms", min(2.0, 0.75 * len(vocab))))
    syntax = len(_SYNTAX.findall(scan))
    if syntax >= 2:
        density = syntax / max(1, words)
        add(Signal("code", "code-like syntax", round(min(4.0, 0.5 * syntax) * min(1.0, density / 0.1), 3)))
    return out


def _smart_signals(low: str) -> list[Signal]:
    out: list[Signal] = []
    add = out.append
    if _PROOF.search(low):
        add(Signal("smart", "proof", 4.0))
    math = len(_MATH.findall(low))
    if math:
        add(Signal("smart", "math", min(4.0, 2.5 + 0.5 * (math - 1))))
    numbers = len(_NUMBER.findall(low))
    if numbers >= 2 and _QUANTITY_QUESTION.search(low):
        add(Signal("smart", "multi-step math", 3.0 if numbers >= 3 else 2.0))
    seen: set[str] = set()
    for pattern, label, weight in _REASONING:
        if label not in seen and pattern.search(low):
            seen.add(label)
            add(Signal("smart", label, weight))
    questions = low.count("?") + low.count("？")
    if questions >= 3:
        add(Signal("smart", "several questions", 2.0))
    elif questions == 2:
        add(Signal("smart", "two questions", 1.0))
    if len(_ENUMERATED.findall(low)) >= 3:
        add(Signal("smart", "multi-part request", 1.0))
    return out


def _simple_label(low: str, words: int) -> str | None:
    for pattern, label in _SIMPLE:
        if pattern.search(low):
            return label
    if words <= LOOKUP_MAX_WORDS and _LOOKUP.search(low):
        return "fact lookup"
    return None


def extract(text: str) -> Features:
    scan = _scan_slice(text)
    low = scan.lower()
    words = _word_count(scan)
    signals = _code_signals(scan, low, words)

    transform = _TRANSFORM.search(low)
    if transform:
        # "Summarise this: <document>": only the instruction says how hard the job is; cues and
        # length inside the pasted document do not.
        signals += _smart_signals(_instruction(low, transform))
        signals.append(Signal("fast", "rewrite/translate/summarise task", 0.0))
    else:
        signals += _smart_signals(low)
        simple = _simple_label(low, words) if words <= SIMPLE_MAX_WORDS else None
        if simple:
            signals.append(Signal("fast", simple, 0.0))
        else:
            length = round(min(LENGTH_CAP, LENGTH_PER_WORD * max(0, words - LENGTH_FREE_WORDS)), 3)
            if length > 0:
                signals.append(Signal("smart", LENGTH_LABEL, length))
    return Features(tuple(signals), estimate_tokens(text), transform is not None)
