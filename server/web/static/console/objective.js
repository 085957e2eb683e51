// The agreed objective in the counsellor console (docs/PROTOCOL.md, "Agreed objective").
//
// The player may pick what they want from the talk; it shows on the offer card and, as the
// player's first proposal, in the chat. Either side proposes (again) and the other accepts or
// not; the agreed objective stays in view, and ending the conversation asks whether it was met.
// Text from the player is only ever set with textContent. Labels follow the browser's language
// (English or German).

const LANG = (navigator.language || "en").toLowerCase().startsWith("de") ? "de" : "en";

const TEXT = {
  en: {
    objectives: {
      talk: "Just talk",
      understand: "Understand what is happening to me",
      leave_group: "Get out of a group",
      help_friend: "Help a friend",
      other: "Something else",
    },
    wants: "Wants",
    agreed: "Agreed objective",
    none: "No objective agreed yet",
    proposedByPlayer: "The player proposes",
    proposedByYou: "You proposed",
    waiting: "waiting for the player's answer",
    accept: "Agree",
    decline: "Not now",
    declinedByPlayer: "The player did not agree to",
    declinedByYou: "You did not agree to",
    agreedAt: "agreed at",
    propose: "Propose an objective",
    note: "A line of your own (optional)",
    send: "Propose",
    met: "The agreed objective was met",
  },
  de: {
    objectives: {
      talk: "Einfach reden",
      understand: "Verstehen, was mit mir passiert",
      leave_group: "Aus einer Gruppe herauskommen",
      help_friend: "Jemandem helfen, der mir nahesteht",
      other: "Etwas anderes",
    },
    wants: "Wünscht sich",
    agreed: "Vereinbartes Ziel",
    none: "Noch kein Ziel vereinbart",
    proposedByPlayer: "Die Person schlägt vor",
    proposedByYou: "Ihr Vorschlag",
    waiting: "wartet auf die Antwort der Person",
    accept: "Zustimmen",
    decline: "Jetzt nicht",
    declinedByPlayer: "Die Person hat nicht zugestimmt:",
    declinedByYou: "Sie haben nicht zugestimmt:",
    agreedAt: "vereinbart um",
    propose: "Ein Ziel vorschlagen",
    note: "Eine eigene Zeile (freiwillig)",
    send: "Vorschlagen",
    met: "Das vereinbarte Ziel wurde erreicht",
  },
}[LANG];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function label(p) {
  const name = TEXT.objectives[p.objective] || p.objective;
  return p.note ? `${name}: “${p.note}”` : name;
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** The offer card's and chat header's chip for the player's pick (null when none). */
export function objectiveChip(prefs) {
  if (!prefs || !prefs.objective) return null;
  const name = TEXT.objectives[prefs.objective] || prefs.objective;
  const text = prefs.objective_note ? `${name}: “${prefs.objective_note}”` : name;
  return el("span", "chip chip-objective", `${TEXT.wants}: ${text}`);
}

function bar(conv) {
  if (conv.objectiveBar) return conv.objectiveBar;
  const box = el("section", "objective-bar");
  box.setAttribute("aria-label", TEXT.agreed);
  const current = el("p", "objective-current", TEXT.none);
  current.setAttribute("role", "status");
  const open = el("div", "objective-open hidden");
  const form = el("form", "objective-form row");
  const select = el("select");
  select.setAttribute("aria-label", TEXT.propose);
  for (const [code, name] of Object.entries(TEXT.objectives)) {
    const option = el("option", "", name);
    option.value = code;
    select.append(option);
  }
  const note = el("input");
  note.maxLength = 140;
  note.placeholder = TEXT.note;
  note.setAttribute("aria-label", TEXT.note);
  const button = el("button", "btn btn-small", TEXT.send);
  button.type = "submit";
  form.append(select, note, button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const frame = { type: "objective_propose", conversation_id: conv.id, objective: select.value };
    if (note.value.trim()) frame.note = note.value.trim();
    if (conv.objectiveSend(frame)) note.value = "";
  });
  box.append(current, open, form);
  conv.panel.querySelector(".log").before(box);
  conv.objectiveBar = { box, current, open, form };
  return conv.objectiveBar;
}

/** Show an ``objective`` frame in its conversation; ``send`` puts a frame on the socket. */
export function onObjective(frame, conv, send) {
  if (!conv) return;
  conv.objectiveSend = send;
  const ui = bar(conv);
  if (frame.state === "agreed") {
    conv.objectiveAgreed = frame;
    ui.current.textContent = `${TEXT.agreed}: ${label(frame)} (${TEXT.agreedAt} ${clock(frame.at)})`;
  }
  if (frame.state === "proposed") {
    ui.open.replaceChildren();
    const mine = frame.by === "counsellor";
    ui.open.append(el("span", "", `${mine ? TEXT.proposedByYou : TEXT.proposedByPlayer}: ${label(frame)}`));
    if (mine) {
      ui.open.append(el("span", "small muted", ` (${TEXT.waiting})`));
    } else {
      const yes = el("button", "btn btn-primary btn-small", TEXT.accept);
      const no = el("button", "btn btn-small", TEXT.decline);
      yes.type = no.type = "button";
      const answer = (accept) => send({
        type: "objective_answer", conversation_id: conv.id, proposal_id: frame.proposal_id, accept,
      });
      yes.addEventListener("click", () => answer(true));
      no.addEventListener("click", () => answer(false));
      ui.open.append(yes, no);
    }
    ui.open.classList.remove("hidden");
  } else {
    ui.open.replaceChildren();
    ui.open.classList.add("hidden");
    if (frame.state === "declined") {
      const who = frame.by === "counsellor" ? TEXT.declinedByPlayer : TEXT.declinedByYou;
      ui.open.append(el("span", "small muted", `${who} ${label(frame)}`));
      ui.open.classList.remove("hidden");
    }
  }
}

/** Before the end dialog opens: offer "objective met" only when one was agreed. */
export function prepareEndDialog(conv) {
  const box = document.getElementById("end-objective");
  if (!box) return;
  const agreed = conv && conv.objectiveAgreed;
  box.classList.toggle("hidden", !agreed);
  box.querySelector("input").checked = false;
  box.querySelector(".end-objective-text").textContent = agreed ? `${TEXT.met}: ${label(agreed)}` : "";
}

/** The end frame's extra field (empty when no objective was agreed). */
export function endFields(conv) {
  const box = document.getElementById("end-objective");
  if (!box || !conv || !conv.objectiveAgreed) return {};
  return { objective_met: box.querySelector("input").checked };
}
