"""The text rule families: each one a *kind* of deception or pressure, in English and German.

Patterns are regular expressions over lower-cased text (spaces match any whitespace, matches
are whole words). They describe the shape of a claim ("<number> minutes left", "a <peer
noun> like you"), so rewording with another number, name or noun is still found. Honest
wording that denies the claim ("There is no time limit.", "never a bot") is skipped by the
negation rule in ``text.py``. The labelled corpus in ``ethics/data/corpus`` holds the
examples and hard negatives every family is measured against (``bench/bench_checks.py``).
"""

from __future__ import annotations

from ethics.checks.text import SERVICE_ROLES, Family

_NUM_EN = r"(?:\d+|one|two|three|four|five|ten|fifteen|twenty|thirty|a few|a couple of)"
_NUM_DE = r"(?:\d+|ein paar|ein|eine|einen|zwei|drei|vier|fünf|zehn|fünfzehn|zwanzig|dreißig|paar)"
_UNIT_EN = r"(?:seconds?|secs?|minutes?|mins?|hours?|days?)"
_UNIT_DE = r"(?:sekunden?|minuten?|stunden?|tage?n?)"
_PEER_EN = (
    r"(?:kid|kids|player|players|gamer|gamers|teen|teens|teenager|guy|girl|student|fan|"
    r"member|user|boy|teenager|one of you)"
)
_PEER_DE = (
    r"[\w-]*(?:spieler|spielerin|spielende[rn]?|gamer|gamerin|zocker|zockerin|kind|teenager|"
    r"jugendliche[rn]?|schüler|schülerin|junge|mädchen|fan|nutzer|nutzerin|user)"
)

FALSE_PERSONA = Family(
    name="false_persona",
    summary="no one poses as a player or peer, and no bot claims to be a person",
    explanation=(
        "claims to be a fellow player or peer ('like you'), or a bot claims to be a person; "
        "counsellors appear only openly, through the offer"
    ),
    patterns={
        "en": (
            rf"(?:i'm|i am|im|we're|we are|just|only|also|another|too) (?:\w+ ){{0,2}}{_PEER_EN}"
            r" (?:[\w-]+,? ){0,4}like you",
            r"(?:i'm|i am|im) (?:just |also |only )?(?:a |another )?(?:player|gamer|kid|teen) "
            r"(?:too|as well|like you|here too)",
            r"(?:i'm|i am) (?:just )?(?:like you|one of you)",
            r"i (?:play|am playing|'m playing) this (?:game )?too",
            r"(?:i'm|i am) (?:a )?(?:real )?(?:human|person|real person)(?:,? not a bot)?",
            r"(?:i'm|i am) not (?:a )?(?:bot|robot|machine|program)",
            r"i'm not (?:a )?(?:counsell?or|from the service)",
        ),
        "de": (
            rf"(?:auch|nur|genau|bloß) (?:nur )?(?:ein|eine|einer) {_PEER_DE} (?:[\w-]+ ){{0,3}}"
            r"wie du",
            rf"ich bin (?:auch )?(?:nur )?(?:ein|eine|einer) {_PEER_DE}(?: (?:wie du|auch))?",
            r"ich bin (?:genau )?(?:so )?wie du",
            r"ich bin (?:eine|einer) von euch",
            r"ich spiele (?:dieses spiel )?auch(?: dieses spiel)?",
            r"ich bin (?:ein )?(?:echter )?(?:mensch|echte person)(?:,? kein bot)?",
            r"ich bin kein (?:bot|roboter|programm)",
            r"ich bin (?:kein berater|keine beraterin|nicht von der beratung)",
        ),
    },
    roles=SERVICE_ROLES | {"story"},
    negatable=False,
)

#: The offer itself claiming to be a peer ("I'm also just a teenager"): a bare self-claim is
#: fine for a story character ("I'm a student"), never for the service's own texts.
FALSE_PERSONA_SERVICE = Family(
    name="false_persona",
    summary=FALSE_PERSONA.summary,
    explanation=FALSE_PERSONA.explanation,
    patterns={
        "en": (
            rf"(?:i'm|i am|im|we're|we are) (?:also |just |only |really |honestly |simply )*"
            rf"(?:a |an |another )?(?:fellow |normal |regular )?{_PEER_EN}",
        ),
        "de": (
            rf"ich bin (?:auch |nur |bloß |einfach |genauso )*(?:ein |eine |einer )?"
            rf"(?:ganz normale[rs]? )?{_PEER_DE}",
            rf"wir sind (?:auch |nur |einfach )*{_PEER_DE}",
        ),
    },
    roles=SERVICE_ROLES,
    negatable=False,
)

HEDGED_HUMANITY = Family(
    name="hedged_humanity",
    summary="an offer that promises a human never describes a bot, assistant or AI",
    explanation=(
        "the offer promises a human but calls who answers an assistant, bot, AI or automated; "
        "say plainly that a trained human answers"
    ),
    patterns={
        "en": (
            r"(?:chat)?bots?",
            r"(?:virtual |digital |ai |chat )?assistants?",
            r"a\.?i\.?",
            r"artificial intelligence",
            r"automated|automatic(?:ally)?",
            r"algorithms?",
            r"language model|llm|gpt",
            r"virtual (?:counsell?or|helper|friend)",
        ),
        "de": (
            r"(?:chat)?bots?",
            r"(?:virtuelle[rn]? |digitale[rn]? |ki-)?assistent(?:in|en)?",
            r"ki",
            r"künstliche intelligenz",
            r"automatisch(?:e[nrs]?)?|automatisiert(?:e[nrs]?)?",
            r"algorithmus|algorithmen",
            r"sprachmodell",
        ),
    },
    roles=frozenset({"offer", "accept"}),
)

TIME_PRESSURE = Family(
    name="time_pressure",
    summary="no countdowns, deadlines or 'last chance' in what the service says",
    explanation=(
        "puts the player under time pressure (a countdown, 'only N minutes left', 'last "
        "chance', a counsellor leaving soon); the offer is open with no time limit"
    ),
    patterns={
        "en": (
            rf"(?:only )?{_NUM_EN} (?:more )?{_UNIT_EN} (?:left|remaining|to go|to decide|to talk)",
            rf"(?:ends|expires|closes|disappears|goes away|runs out) in {_NUM_EN} {_UNIT_EN}",
            r"\d{1,2}:\d\d (?:left|remaining)",
            r"countdown|count down|time limit",
            r"last chance|final chance|now or never|one chance|only chance",
            r"(?:final|last|only) (?:opportunity|offer|call)",
            r"(?:spots|places|slots|seats) (?:are )?"
            r"(?:filling up|running out|almost gone|going fast)",
            r"(?<!to\s)hurry(?: up)?|quick(?:ly)?,? before|act (?:now|fast|quickly)",
            r"don't wait|don't miss (?:out|this)|before it's too late",
            r"limited time|only today|today only|only tonight",
            r"time is (?:running out|almost up|nearly up)|running out of time",
            r"(?:you )?(?:must|have to|need to) (?:decide|answer|choose|click|reply) "
            r"(?:now|right now|immediately|today|quickly|fast)",
            r"(?:decide|answer|reply|click) (?:now|right now|immediately)",
            r"(?:counsell?ors?|she|he|they|we|someone|everyone)(?: is| are|'s|'re)? "
            r"(?:leaving|logging off|going offline|signing off|gone) (?:soon|shortly|in)",
            r"(?:won't|will not|won't) (?:be (?:here|around|available|online)|wait) "
            r"(?:for long|much longer|forever)",
            r"(?:offer|chance|spot|slot|window) (?:ends|expires|closes) (?:soon|tonight|today)",
            r"right now or",
            r"everyone else already",
            r"until (?:midnight|tonight|tomorrow|the end of (?:the|to)day|"
            r"\d{1,2}(?::\d\d)? ?(?:am|pm)?) "
            r"to (?:decide|answer|reply|choose|sign up|talk|say yes)",
        ),
        "de": (
            rf"(?:nur )?noch {_NUM_DE} {_UNIT_DE}",
            rf"in {_NUM_DE} {_UNIT_DE} (?:vorbei|weg|zu|geschlossen|abgelaufen)",
            r"\d{1,2}:\d\d (?:übrig|verbleibend)",
            r"countdown|zeitlimit|zeitbegrenzung|frist",
            r"letzte chance|letzte gelegenheit|jetzt oder nie|einzige chance|letzte möglichkeit",
            r"(?:plätze|platz|termine) (?:sind|ist|werden) (?:bald|gleich|schnell|fast) "
            r"(?:weg|vergeben|voll|ausgebucht)",
            r"beeil dich|beeilt euch|schnell,? bevor|schnell handeln|sofort handeln",
            r"warte nicht|verpass (?:das|es) nicht|bevor es zu spät ist",
            r"nur (?:noch )?heute|nur für kurze zeit|nur heute abend",
            r"die zeit (?:läuft|wird) (?:ab|davon|knapp)|zeit ist (?:fast )?um",
            r"(?:du )?(?:musst|sollst) (?:dich )?(?:jetzt|sofort|gleich|heute) "
            r"(?:entscheiden|antworten|klicken|wählen)",
            r"entscheide dich (?:jetzt|sofort)|(?:jetzt|sofort) entscheiden",
            r"(?:berater(?:in)?|sie|er|wir|jemand) (?:geht|gehen|ist|sind|muss|müssen) "
            r"(?:gleich|bald) (?:weg|los|offline)",
            r"(?:nicht mehr lange|nicht ewig) (?:da|online|erreichbar|warten)",
            r"(?:angebot|chance|platz) (?:endet|läuft|verfällt) (?:bald|heute|gleich)",
            r"jetzt sofort",
            r"alle anderen haben schon",
            r"bis (?:mitternacht|heute abend|morgen|\d{1,2}(?::\d\d)? uhr),? "
            r"(?:um dich zu entscheiden|zeit|zu entscheiden|ja zu sagen)",
        ),
    },
    story_severity="warning",
)

THREAT_GUILT = Family(
    name="threat_guilt",
    summary="no threats, guilt or shame about saying no",
    explanation=(
        "threatens, blames or shames the player ('you'll regret it', 'stay lost', 'your "
        "fault'); saying no must carry no cost"
    ),
    patterns={
        "en": (
            r"(?:you'll|you will|you're going to|you gonna) (?:(?!not |never )\w+ )?"
            r"(?:regret|be sorry|wish you had|lose everything|be alone|end up alone)",
            r"regret it|regret this|be sorry later",
            r"stay (?:lost|alone|lonely|stuck|broken)|(?:lost|alone) and (?:alone|lost|lonely)",
            r"(?:alone|lonely|lost) forever|forever (?:alone|lonely|lost)",
            r"(?:it's|it is|it'll be|this is) (?:all )?your (?:own )?fault",
            r"blame (?:yourself|only yourself)|only (?:have )?yourself to blame",
            r"shame on you|you should be ashamed|(?:too )?(?:weak|scared|cowardly) to",
            r"(?:only |real )?(?:losers|cowards|weaklings)|you(?:'re| are) (?:a )?"
            r"(?:coward|loser|weak|pathetic|hopeless)",
            r"(?:let|lets|letting) (?:everyone|us|them|your "
            r"(?:family|friends|mum|mom|parents)) down",
            r"!don't (?:disappoint|let (?:\w+ ){1,2}down|make (?:us|them|me) sad)",
            r"(?:if you (?:say no|refuse|decline|leave|don't)[^.!?]{0,40})?"
            r"(?:bad things|something bad) (?:will|could) happen",
            r"no one (?:else )?will (?:ever )?(?:help|care about) you",
            r"(?:mistake|regret) you(?:'d| would|'ll| will) (?:live with|carry|regret) "
            r"(?:forever|for the rest of your life|for years)",
            r"(?:would be|is|will be) (?:a )?(?:big |huge |terrible )?mistake",
            r"(?:disappoint|disappointing|disappointed in) (?:us|them|everyone|your)",
        ),
        "de": (
            r"(?:du )?wirst (?:es )?(?:\w+ )?bereuen",
            r"bereuen",
            r"(?:wird|würde) dir (?:noch )?leidtun",
            r"(?:bleib|bleibe|bleibst|bleiben) (?:\w+ )?(?:verloren|allein|einsam|kaputt)",
            r"(?:verloren|allein) und (?:allein|verloren|einsam)",
            r"für immer (?:allein|einsam|verloren)",
            r"(?:ist |bist )?(?:deine|selbst) schuld|du bist schuld",
            r"schäm dich|du solltest dich schämen",
            r"(?:feigling|versager|versagerin|loser|schwächling)e?n?",
            r"(?:zu )?(?:schwach|feige|ängstlich),? um",
            r"(?:lässt|lasst) (?:alle|uns|sie|(?:deine|seine|ihre) "
            r"(?:familie|freunde|eltern)) im stich",
            r"(?:etwas )?schlimmes (?:wird|könnte) passieren",
            r"niemand (?:sonst )?wird dir (?:je |jemals )?helfen",
            r"enttäuschst (?:uns|alle|sie|deine)",
        ),
    },
    story_severity="warning",
)

DISCLOSURE_WEAKENING = Family(
    name="disclosure_weakening",
    summary="who runs the service is never hidden or played down",
    explanation=(
        "hides or plays down who runs this ('made by players', 'only provides the servers'); "
        "the operator must be named as the one responsible"
    ),
    patterns={
        "en": (
            r"(?:made|created|built|written|run|developed) (?:\w+ )?by "
            r"(?:a (?:group|bunch|team) of )?(?:other )?(?:players|"
            r"gamers|fans|kids|teens|the community|volunteers|people like you|users)",
            r"(?:only|just|merely) (?:provides?|hosts?|runs?|pays? for|offers?) (?:the )?"
            r"(?:servers?|hosting|platform|space|infrastructure)",
            r"(?:has|have) nothing to do with (?:this|the game|the content|it)",
            r"(?:only|just|merely|simply) (?:hosts?|provides?|runs?) (?:it|this|the game)",
            r"(?:is|are) (?:just|only|merely|simply) (?:the |a )?"
            r"(?:sponsor|host|funder|partner|backer)s?",
            r"belongs to (?:its|the|our) (?:players|community|fans|users)",
            r"(?:fan|community|hobby|independent) project",
            r"no (?:organisation|organization|company|one) (?:is )?behind",
            r"not responsible for (?:the|this|what)",
            r"(?:anonymous|unnamed|secret) (?:team|creators|makers|group|sponsor)",
        ),
        "de": (
            r"von (?:anderen )?(?:spielern|spielerinnen|spielenden|gamern|fans|kids|jugendlichen|"
            r"der community|freiwilligen|leuten wie dir) (?:\w+ )?(?:gemacht|erstellt|"
            r"entwickelt|geschrieben|betrieben)",
            r"(?:stellt|stellen|bietet|bieten|zahlt|zahlen) (?:\w+ )?(?:nur|bloß|lediglich) "
            r"(?:die )?(?:server|technik|plattform|infrastruktur)",
            r"nur (?:die )?server",
            r"(?:ist|sind) (?:nur|bloß|lediglich) (?:der |die |ein |eine )?(?:sponsor|geldgeber|"
            r"gastgeber|partner|förderer)(?:in|en)?",
            r"gehört (?:den|der|unseren?) (?:spielern|spielerinnen|spielenden|community|fans)",
            r"(?:hat|haben) nichts (?:damit|mit dem spiel|mit den inhalten) zu tun",
            r"(?:fan|community|hobby)-?projekt",
            r"keine (?:organisation|firma) (?:steht )?dahinter",
            r"nicht verantwortlich für",
            r"(?:anonymes|geheimes) (?:team|netzwerk)",
        ),
    },
    roles=SERVICE_ROLES,
    story_severity=None,
    negatable=False,
)

UNBACKED_AVAILABILITY = Family(
    name="unbacked_availability",
    summary="who is available is said only from live facts, never in free text",
    explanation=(
        "claims someone is available or waiting now; availability is shown only from the "
        "live on-duty facts, never written into the text"
    ),
    patterns={
        "en": (
            r"(?:someone|somebody|a counsell?or|counsell?ors|we|people|a person|a human|"
            r"staff|a real person)(?: is| are|'s|'re)? (?:already |always )?(?:waiting|"
            r"here|ready|online|standing by|available|free)(?: for you)?(?: right)? now",
            r"(?:someone|somebody|a counsell?or|we)(?: is| are|'s|'re) (?:already )?"
            r"waiting (?:for you|to talk)",
            r"(?:always|24/7|around the clock|day and night|any time) (?:there|available|"
            r"online|here)(?: for you)?",
            r"(?:always|24/7) (?:someone|a counsell?or|a person) (?:there|available|online)",
            r"(?:we|they|counsell?ors?|someone|staff|people|a person) (?:reply|answer|respond)s?"
            r" (?:instantly|immediately|right away|within seconds)",
            r"(?:instant|immediate) (?:reply|answer|response|help)",
            r"(?:is|are) (?:online|available) (?:right )?now",
            r"(?:someone|somebody|a counsell?or|counsell?ors|a person|staff|we)(?: is| are|'s|'re) "
            r"(?:already |always )?(?:online|available|standing by)",
        ),
        "de": (
            r"(?:jemand|ein berater|eine beraterin|berater(?:innen)?|wir|ein mensch|"
            r"eine person)(?: ist| sind)? (?:schon |gerade |immer )?(?:jetzt )?(?:da|online|"
            r"bereit|erreichbar|frei)(?: für dich)? (?:jetzt|gerade|sofort)",
            r"(?:jemand|ein berater|eine beraterin|wir) (?:wartet|warten) (?:schon |bereits |"
            r"gerade )?auf dich",
            r"(?:immer|rund um die uhr|tag und nacht|jederzeit) (?:für dich )?(?:da|erreichbar|"
            r"online)",
            r"(?:antwortet|antworten) (?:sofort|sofortig|direkt|innerhalb von sekunden)",
            r"sofortige (?:antwort|hilfe)",
            r"(?:ist|sind) (?:jetzt|gerade) (?:für dich )?(?:online|erreichbar|frei|da)",
            r"(?:steht|stehen) (?:gerade |jetzt |schon )?(?:für dich )?bereit",
            r"(?:jemand|ein berater|eine beraterin|berater(?:innen)?|wir|ein mensch) (?:ist|sind) "
            r"(?:schon |gerade |jetzt |immer )?(?:online|erreichbar|verfügbar)",
            r"wartet (?:schon |gerade )?auf deine nachricht",
        ),
    },
    hedgeable=True,
)

#: Story characters never carry the service's role labels and never claim to be from it.
FICTION_AS_SERVICE = Family(
    name="fiction_as_service",
    summary="story characters never pose as the real service or its counsellors",
    explanation=(
        "a story character speaks as a counsellor or as the advice service; fiction must "
        "never be confused with the real service (point to the 'Talk to someone' button)"
    ),
    patterns={
        "en": (
            r"(?:i'm|i am|im|this is|we are|we're) (?:[\w-]+, )?(?:a |the |your |an )?"
            r"(?:trained |professional )?(?:counsell?or|advisor|adviser|advice service|"
            r"helpline|exit worker|social worker here)",
            r"counsell?or here|(?:i |we )(?:counsel|advise) (?:here|people)",
            r"(?:welcome to|you've reached|you have reached) (?:the |our )?(?:advice|"
            r"counselling|counseling|exit|help) (?:service|line|desk|team)",
        ),
        "de": (
            r"ich bin (?:[\w-]+, )?(?:ein |eine |dein |deine |die |der )?(?:berater|beraterin|"
            r"beratungsperson|beratungsstelle|ausstiegsberater(?:in)?)",
            r"ich berate hier|wir beraten hier",
            r"(?:willkommen bei|hier ist) (?:der |die |unserer? )?(?:beratung|beratungsstelle|"
            r"ausstiegsberatung|hotline)",
        ),
    },
    roles=frozenset({"story"}),
    negatable=False,
)

#: Labels a story speaker may never carry: the service's role labels and counsellor kinds.
SERVICE_LABELS: dict[str, tuple[str, ...]] = {
    "en": (
        r"counsell?or",
        r"advice service|advisor|adviser|helpline|exit (?:worker|service)",
        r"professional counsell?or|former (?:member|extremist)|survivor|peer counsell?or",
    ),
    "de": (
        r"berater(?:in|:in|\*in)?|beratungs(?:stelle|person)|beratung",
        r"ausstiegs(?:berater(?:in)?|hilfe)|hotline",
        r"ehemalige[rn]?|betroffene[rn]?",
    ),
}

#: Words that make a decline label negative or shaming in itself.
NEGATIVE_DECLINE: dict[str, tuple[str, ...]] = {
    "en": (
        r"(?:i'll|i will|i'd rather|let me) (?:just )?(?:stay|remain|keep|be|suffer|rot)",
        r"lost|alone|lonely|hopeless|helpless|broken|worthless|miserable|suffer",
        r"i don't (?:need|want|care|deserve)|i'm fine (?:being|on my own)|who cares",
        r"i(?:'m| am) (?:a )?(?:coward|loser|weak|scared)|give up|i'm not worth",
        r"i like (?:being )?(?:sad|alone|lonely|lost)",
        r"i deserve (?:this|it|to)",
    ),
    "de": (
        r"(?:ich )?(?:bleibe|bleib) (?:lieber |einfach )?(?:\w+ )?(?:allein|verloren|einsam)",
        r"verloren|allein|einsam|hoffnungslos|hilflos|kaputt|wertlos|leiden",
        r"ich brauche? keine hilfe|ist mir egal|mir doch egal|ich verdiene",
        r"ich bin (?:ein )?(?:feigling|versager|loser|schwach)|aufgeben|ich geb auf",
    ),
}

TEXT_FAMILIES: tuple[Family, ...] = (
    FALSE_PERSONA,
    FALSE_PERSONA_SERVICE,
    HEDGED_HUMANITY,
    TIME_PRESSURE,
    THREAT_GUILT,
    DISCLOSURE_WEAKENING,
    UNBACKED_AVAILABILITY,
    FICTION_AS_SERVICE,
)

#: The real service's counsellor kinds: a story choice that copies them imitates the offer.
KIND_LABELS: dict[str, tuple[str, ...]] = {
    "en": (
        r"(?:a |an )?(?:trained|professional) (?:counsell?or|person)",
        r"someone who (?:was|used to be|has been) in (?:a|an|one) (?:\w+ )?(?:group|movement)"
        r"(?: \w+)*",
        r"someone who was (?:hurt|targeted|on the receiving end)(?: \w+)*",
        r"someone (?:close|closer) to (?:my|your) age",
    ),
    "de": (
        r"(?:einer |einem )?ausgebildete[nmr]? (?:beratungsperson|berater(?:in)?|fachkraft)",
        r"jemande[nm]?,? (?:der|die) (?:selbst )?(?:mal |früher )?in (?:so )?einer (?:\w+ )?"
        r"gruppe war",
        r"jemande[nm]?,? (?:der|die) (?:selbst )?ziel (?:so )?einer (?:\w+ )?gruppe war",
        r"jemande[nm]? (?:in meinem|in deinem|in ungefähr meinem) alter",
    ),
}
