"""The handoff rules that need no model: what a customer's words say (asks for a human,
says an answer did not help), whether a question touches a guardrail topic, and what a
model's answer may contain (links, addresses, its own instructions). Pure functions on
text, so they are unit-tested alone (tests/unit/test_captain_rules.py) and shared by the
answering path and the playground (services/captain/answering.py).

Text is compared after `normalise`: lower case, accents removed (é -> e, ß -> ss), runs
of anything but letters and digits made one space."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", (text or "").casefold().replace("ß", "ss"))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^\w']+|_", " ", plain).replace("'", "").strip()


def words(text: str) -> list[str]:
    return normalise(text).split()


def stem(word: str) -> str:
    """A light, language-blind stem: plural and verb endings off long words, so
    "competitors"/"competitor" and "refunds"/"refunding" meet."""
    for ending in ("ing", "ed", "es", "s"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


# ---------------------------------------------------------------- asks for a human

# Phrases, matched on the normalised message (so "speak to a real person!", "Ich möchte
# mit einem Menschen sprechen", "hablar con una persona" all match). Kept to requests for a
# person, not mentions of one ("my agent said ..." does not match).
_HUMAN = [
    # English
    r"\b(talk|speak|chat|connect|transfer|put) (me )?(to|with|through to) (a |an |the |your |some |real |actual |live )*"
    r"(human|person|agent|representative|rep|operator|someone|somebody|staff|support team|team member|manager)\b",
    r"\b(real|actual|live) (human|person|agent|people)\b",
    r"\bhuman (agent|being|support|please|help)\b",
    r"\b(want|need|get|give) (me )?(a |an )?(human|person|representative|operator)\b",
    r"\b(customer service|customer support) (agent|person|representative|please)\b",
    r"^(human|agent|operator|representative|a human|person|real person)( please)?$",
    r"\bnot (a |an )?(bot|robot|machine)\b",
    # Spanish
    r"\bhablar con (una |un |alguna |algun )?(persona|humano|agente|asesor|operador|alguien)\b",
    r"\b(persona|agente|operador) (real|humano|humana)\b",
    # French
    r"\bparler (a|avec) (un |une |quelqu un|quelquun)(humain|personne|agent|conseiller|conseillere|operateur|vrai)?",
    r"\b(un humain|vraie personne|personne reelle|conseiller humain)\b",
    # German
    r"\bmit (einem|einer) (menschen|mitarbeiter|mitarbeiterin|berater|beraterin|person)\b",
    r"\b(echten|einen) (menschen|mitarbeiter)\b",
    # Portuguese
    r"\bfalar com (um |uma |algum |alguem)?(humano|pessoa|atendente|agente|alguem)\b",
    r"\batendente humano\b",
    # Italian
    r"\bparlare con (un |una |qualcuno)?(operatore|persona|umano|agente|qualcuno)\b",
    r"\boperatore umano\b",
    # Dutch
    r"\b(met een|een echte) (mens|medewerker|persoon)\b",
]
_HUMAN_RE = [re.compile(p) for p in _HUMAN]


def asks_for_human(text: str) -> bool:
    said = normalise(text)
    return any(p.search(said) for p in _HUMAN_RE)


# ---------------------------------------------------------------- says it did not help

_UNHELPED = [
    r"\b(that|this|it|your answer) (did not|didnt|does not|doesnt|do not|dont) (help|answer|work)\b",
    r"\b(not|wasnt|isnt) (helpful|what i (asked|meant|wanted|need|needed))\b",
    r"\b(you|that) (did not|didnt) answer\b",
    r"\b(that|this|it) (is|s) (wrong|not right|incorrect|not it)\b",
    r"\bthats (wrong|not right|incorrect|not it|not what i)\b",
    r"\bstill (not|doesnt|dont|does not|cant|can not)\b",
    r"\bno (me )?(ayuda|ayudo|sirve|sirvio)\b", r"\bno es (eso|lo que)\b",
    r"\b(ca|cela) (ne )?m a pas aide\b", r"\bpas (ce que|la bonne reponse)\b", r"\bca n aide pas\b",
    r"\bhilft (mir )?nicht\b", r"\bnicht geholfen\b", r"\bnicht (das|was) ich\b",
    r"\bnao (me )?(ajud|ajudou|serviu)", r"\bnon (mi )?(ha )?aiutat", r"\bnon mi aiuta\b",
    r"\bhelpt (me )?niet\b",
]
_UNHELPED_RE = [re.compile(p) for p in _UNHELPED]


def says_unhelped(text: str) -> bool:
    said = normalise(text)
    return any(p.search(said) for p in _UNHELPED_RE)


def repeats(text: str, earlier: str) -> bool:
    """The customer asks the same again: the stemmed word sets overlap by 80% or more
    (Jaccard), on messages of three words or more."""
    a, b = {stem(w) for w in words(text)}, {stem(w) for w in words(earlier)}
    if len(a) < 3 or len(b) < 3:
        return normalise(text) == normalise(earlier) and bool(a)
    return len(a & b) / len(a | b) >= 0.8


def failed_attempts(turns: list[tuple[str, str]], question: str) -> int:
    """How many of Captain's latest answers in a row failed, counting the reply `question`
    gives to the last one. `turns` are (role, text), oldest first, role "user" or
    "assistant" (Captain). An answer failed when the customer's next message says it did
    not help or asks the same question again."""
    sequence = [*turns, ("user", question)]
    failed = 0
    index = len(sequence) - 1
    while index >= 2:
        reply, answer = sequence[index], sequence[index - 1]
        if reply[0] != "user" or answer[0] != "assistant":
            break
        # what the customer asked before that answer (their last messages that were not
        # themselves complaints): the same question again is a failure too
        asked = [text for role, text in sequence[:index - 1] if role == "user" and not says_unhelped(text)][-2:]
        if not (says_unhelped(reply[1]) or any(repeats(reply[1], earlier) for earlier in asked)):
            break
        failed += 1
        index -= 2
    return failed


# ---------------------------------------------------------------- thanks

_THANKS = re.compile(
    r"^(ok|okay|k|great|perfect|cool|nice|awesome|got it|understood|fine|super|parfait|genial|prima|top|"
    r"(thanks|thank you|thx|ty|cheers|merci|gracias|danke|obrigad[oa]|grazie|dank je|bedankt)"
    r"( (a lot|so much|very much|beaucoup|mil|muchas|schon|sehr|mille|wel))?)"
    r"( (that|this|it) (helps|helped|worked|works))?( (thanks|thank you))?$")


def acknowledges(text: str) -> bool:
    """The message only thanks or acknowledges ("Thanks!", "ok great", "merci beaucoup"):
    nothing to answer, nothing to hand off."""
    said = normalise(text)
    said = re.sub(r"^(ok|okay|great|perfect) ", "", said) if len(said.split()) > 1 else said
    return bool(said) and bool(_THANKS.match(said))


# ---------------------------------------------------------------- a bare greeting

_GREETING = re.compile(
    r"^(hi|hii+|hey|hello|hallo|hola|bonjour|salut|ciao|ola|oi|hej|moin|servus|good (morning|afternoon|evening)|"
    r"buenos dias|buenas tardes|buenas noches|bom dia|boa tarde|buongiorno|guten (tag|morgen|abend)|goedemorgen|"
    r"goedendag|yo|greetings)( there| team| all| everyone| guys)?$")


def greets(text: str) -> bool:
    """The message is only a greeting ("Hi", "Hello there!", "Bonjour", "Guten Tag")."""
    return bool(_GREETING.match(normalise(text)))


# ---------------------------------------------------------------- guardrails

# Words that say what to do about a topic rather than name it ("Do not discuss pricing
# negotiations" names "pricing negotiations").
_INSTRUCTION_WORDS = set("""
do dont not never no avoid refuse decline discuss discussing talk talking about answer answering questions question
regarding related anything any mention mentioning provide providing give giving offer offering share sharing help
with on the a an of to for or and in any topics topic subject subjects matters matter we you our your us i me
""".split())


def topic_words(guardrail: str) -> list[str]:
    return [stem(w) for w in words(guardrail) if w not in _INSTRUCTION_WORDS and len(w) > 2]


def guardrail_hit(question: str, guardrails: list[str]) -> str | None:
    """The first guardrail the question touches, or None. A guardrail names a topic in
    plain words ("legal advice", "Do not discuss competitor pricing"); once the words that
    only instruct are dropped, it matches a question containing at least half (rounded
    up) of its remaining words, compared stemmed ("competitors" meets "competitor")."""
    asked = {stem(w) for w in words(question)}
    for guardrail in guardrails or []:
        if not isinstance(guardrail, str):
            continue
        topic = topic_words(guardrail)
        if not topic:
            continue
        found = sum(1 for w in topic if w in asked)
        if found >= (len(topic) + 1) // 2:
            return guardrail
    return None


# ---------------------------------------------------------------- what an answer may contain

_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\"'\[\]{}]+", re.IGNORECASE)
_DOMAIN = re.compile(r"(?<![@\w.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|co|info|biz|xyz|ru|cn|app|"
                     r"dev|me|ly|link|site|online|shop|top|click|live|tk|ml|ga|cf|gq|us|uk|de|fr|es|it|nl|pt|br|in|"
                     r"ai|gg|to|cc|ws|page|help|support|store|test|example))\b(?:/[^\s<>()\"']*)?", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TRAILING = ".,;:!?*_~`>"


def links(text: str) -> list[str]:
    return [m.group(0).rstrip(_TRAILING) for m in _URL.finditer(text or "")]


def hosts(text: str) -> set[str]:
    """Every host named in `text`: in links, and bare domains ("evil.example/pay")."""
    found = set()
    for link in links(text):
        found.add(host_of(link))
    without_links = _URL.sub(" ", text or "")
    without_emails = _EMAIL.sub(" ", without_links)
    for m in _DOMAIN.finditer(without_emails):
        found.add(m.group(1).lower().removeprefix("www."))
    found.discard("")
    return found


def host_of(link: str) -> str:
    if not re.match(r"^[a-z][a-z0-9+.-]*://", link, re.IGNORECASE):
        link = "http://" + link
    try:
        return (urlsplit(link).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def same_link(a: str, b: str) -> bool:
    def canon(link: str) -> str:
        link = link.strip().rstrip(_TRAILING).rstrip("/")
        return re.sub(r"^https?://(www\.)?", "", link, flags=re.IGNORECASE).lower()
    return canon(a) == canon(b)


def foreign_links(answer: str, knowledge: list[str]) -> list[str]:
    """Links in `answer` that are not in the knowledge (a source's URL or a link its text
    contains), and bare domains of hosts the knowledge never names."""
    allowed = [link for text in knowledge for link in links(text)]
    allowed_hosts = set()
    for text in knowledge:
        allowed_hosts |= hosts(text)
    bad = [link for link in links(answer) if not any(same_link(link, ok) for ok in allowed)]
    bad += sorted(h for h in hosts(_URL.sub(" ", answer)) if h not in allowed_hosts)
    return bad


def foreign_emails(answer: str, known: list[str]) -> list[str]:
    """E-mail addresses in `answer` that neither the knowledge nor this customer wrote."""
    seen = {m.group(0).lower() for text in known for m in _EMAIL.finditer(text or "")}
    return [m.group(0) for m in _EMAIL.finditer(answer or "") if m.group(0).lower() not in seen]


def repeats_instructions(answer: str, instructions: list[str], canary: str) -> bool:
    """The answer gives away the system prompt: its canary, or one of its rule lines (40
    characters or more, compared normalised)."""
    if canary and canary in (answer or ""):
        return True
    said = normalise(answer)
    return any(len(line) >= 40 and normalise(line) in said for line in instructions)
