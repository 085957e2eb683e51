// Crossroads counsellor console: a plain ES module speaking JSON over /ws/staff (docs/PROTOCOL.md).
//
// Rules this file keeps:
// * chat text is only ever put on the page with textContent (never innerHTML);
// * every message has a client id and stays in an outbox (sessionStorage) until acknowledged, so
//   a dropped socket or a server restart loses nothing and a retry never duplicates;
// * messages are keyed by their server sequence number; resume asks for everything after the
//   last seen one, so nothing shows twice and nothing is skipped;
// * drafts live in sessionStorage, so a reload or a restart keeps what was typed.

import { endFields, objectiveChip, onObjective, prepareEndDialog } from "./objective.js";

const root = document.getElementById("console-root");
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const me = {
  id: Number(root.dataset.staffId),
  capacity: Number(root.dataset.capacity),
  name: root.dataset.displayName,
};

const KIND_LABELS = { professional: "Professional", former: "Former extremist", survivor: "Survivor", peer: "Peer" };
const OUTCOME_LABELS = { talked: "talked", referred: "referred", no_response: "no response", safeguarding: "safeguarding concern", player_ended: "player ended", erased: "player erased the chat", left: "player left" };
const STORE = window.sessionStorage;

// ---------------------------------------------------------------------------------------------
// small DOM helpers (text only)

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function show(node, visible) { node.classList.toggle("hidden", !visible); }

function fmtWait(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${seconds % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function fmtTime(iso) {
  const d = iso ? new Date(iso) : new Date();
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function prefChips(prefs) {
  const box = el("span", "prefs");
  if (!prefs) return box;
  const add = (text, cls) => box.append(el("span", "chip" + (cls ? " " + cls : ""), text));
  if (prefs.crisis) add("Needs help now", "chip-danger");
  if (prefs.language) add(String(prefs.language).toUpperCase());
  if (prefs.kind) add((KIND_LABELS[prefs.kind] || prefs.kind) + (prefs.kind_required ? " (insisted)" : ""));
  if (prefs.gender) add(prefs.gender);
  if (prefs.age_band) add(prefs.age_band);
  if (prefs.format && prefs.format !== "chat") add(prefs.format.replace("_", " "));
  const objective = objectiveChip(prefs); // objective.js
  if (objective) box.append(objective);
  return box;
}

async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method !== "GET") options.headers["X-CSRF-Token"] = csrfToken;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401) { window.location.assign("/login?next=/console"); throw new Error("signed out"); }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || `HTTP ${response.status}`);
  return data;
}

// ---------------------------------------------------------------------------------------------
// sound and attention (Web Audio, no files)

let audio = null;
function unlockAudio() {
  if (!audio) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) audio = new Ctx();
  }
  if (audio && audio.state === "suspended") audio.resume();
}
document.addEventListener("pointerdown", unlockAudio, { once: false });
document.addEventListener("keydown", unlockAudio, { once: false });

function beep() {
  if (!document.getElementById("sound-on").checked || !audio) return;
  const start = audio.currentTime + 0.01;
  [[660, 0], [880, 0.18]].forEach(([freq, offset]) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.18, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.16);
    osc.connect(gain).connect(audio.destination);
    osc.start(start + offset);
    osc.stop(start + offset + 0.17);
  });
}

const baseTitle = document.title;
let titleTimer = null;
function flashTitle(text) {
  if (titleTimer) return;
  let on = false;
  titleTimer = setInterval(() => {
    on = !on;
    document.title = on ? text : baseTitle;
  }, 1000);
}
function stopFlash() {
  if (titleTimer) clearInterval(titleTimer);
  titleTimer = null;
  document.title = baseTitle;
}
window.addEventListener("focus", () => { if (offers.size === 0) stopFlash(); });

// ---------------------------------------------------------------------------------------------
// state

const conversations = new Map(); // id -> Conversation
const offers = new Map(); // offer_id -> {frame, node, receivedAt}
let queueItems = [];
let queueReceivedAt = Date.now();
let activeId = null;
// The counsellor's own choice survives reloads; until they choose, the server's status stands.
let desiredStatus = STORE.getItem("crossroads.status");
let cannedItems = [];
let lastOfferExpired = false;
let chatCounter = 0; // labels "Chat 1", "Chat 2", ... never reused while the page is open

function outboxLoad() {
  try { return JSON.parse(STORE.getItem("crossroads.outbox") || "[]"); } catch { return []; }
}
function outboxSave(list) { STORE.setItem("crossroads.outbox", JSON.stringify(list)); }
function outboxAdd(item) { const list = outboxLoad(); list.push(item); outboxSave(list); }
function outboxRemove(clientId) { outboxSave(outboxLoad().filter((m) => m.client_id !== clientId)); }

function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

// ---------------------------------------------------------------------------------------------
// the socket

let ws = null;
let backoff = 500;
let reconnectTimer = null;
let everConnected = false;
const connEl = document.getElementById("conn");

function setConn(state, text) {
  connEl.classList.remove("online", "reconnecting");
  if (state) connEl.classList.add(state);
  connEl.textContent = text;
}

function send(frame) {
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${window.location.host}${root.dataset.wsPath}`);
  setConn("reconnecting", everConnected ? "Reconnecting…" : "Connecting…");
  ws.addEventListener("open", () => { backoff = 500; });
  ws.addEventListener("message", (event) => {
    let frame;
    try { frame = JSON.parse(event.data); } catch { return; }
    handleFrame(frame);
  });
  ws.addEventListener("close", (event) => {
    ws = null;
    if (event.code === 4001 || event.code === 4003) {
      // Signed out (elsewhere, or the account changed): drafts stay in this tab's storage.
      setConn("", "Signed out");
      showAlert("Your session ended. Sign in again to continue; your drafts are kept.");
      window.location.assign("/login?next=/console");
      return;
    }
    checkShift(); // a 401 here means the session is gone: api() sends the browser to sign in
    setConn("reconnecting", "Connection lost, reconnecting…");
    const delay = backoff + Math.random() * 250;
    backoff = Math.min(backoff * 2, 10000);
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  });
}

function showAlert(text) {
  const box = document.getElementById("global-alert");
  box.textContent = text;
  show(box, Boolean(text));
}

function handleFrame(frame) {
  switch (frame.type) {
    case "welcome": return onWelcome(frame);
    case "queue": return onQueue(frame);
    case "offer": return onOffer(frame);
    case "offer_expired":
      lastOfferExpired = frame.reason === "expired";
      return removeOffer(frame.offer_id, frame.reason || "expired");
    case "matched": return onMatched(frame);
    case "message": return onMessage(frame);
    case "ack": return onAck(frame);
    case "typing": return onTyping(frame);
    case "read": return onRead(frame);
    case "ended": return onEnded(frame);
    case "status": return onStatus(frame);
    case "transferred": return onTransferred(frame);
    case "supervisor_requested": return onSupervisor(frame);
    case "bookings_soon": return onBookingsSoon(frame);
    case "objective": return onObjective(frame, conversations.get(frame.conversation_id), send);
    case "resumed": return undefined;
    case "error": return onError(frame);
    default: return undefined;
  }
}

function onWelcome(frame) {
  everConnected = true;
  showAlert("");
  setConn("online", "Connected");
  if (frame.staff && frame.staff.capacity) me.capacity = frame.staff.capacity;
  const serverStatus = frame.status || (frame.staff && frame.staff.status);
  const live = new Set();
  for (const c of frame.conversations || []) {
    const id = c.conversation_id || c.id;
    live.add(id);
    const conv = ensureConversation(id, c.preferences, c);
    send({ type: "resume", conversation_id: id, last_seq: conv.lastSeq });
  }
  // Conversations that ended while we were away stay readable but closed.
  for (const [id, conv] of conversations) {
    if (!live.has(id) && !conv.ended) markEnded(conv, "system", null);
  }
  // Re-send what was never acknowledged (same client ids: the server drops duplicates).
  for (const item of outboxLoad()) {
    if (live.has(item.conversation_id)) send({ type: "message", conversation_id: item.conversation_id, client_id: item.client_id, text: item.text });
  }
  if (frame.queue) onQueue({ items: Array.isArray(frame.queue) ? frame.queue : frame.queue.items || [] });
  if (desiredStatus && desiredStatus !== serverStatus) send({ type: "status", status: desiredStatus });
  setStatusButtons(desiredStatus || serverStatus || "offline");
  updateLoad();
}

function onStatus(frame) {
  if (!frame.status) return;
  if (desiredStatus && frame.status !== desiredStatus && frame.status === "away" && lastOfferExpired) {
    showAlert("An offer ran out, so you were set to Away. Choose Available when you are ready.");
  }
  if (desiredStatus && frame.status !== desiredStatus) {
    desiredStatus = frame.status;
    STORE.setItem("crossroads.status", desiredStatus);
  }
  setStatusButtons(frame.status);
  checkShift();
}

function onError(frame) {
  const text = frame.message || frame.code || "Something went wrong.";
  let conv = frame.conversation_id ? conversations.get(frame.conversation_id) : null;
  if (frame.code === "unknown_organisation") conv = [...conversations.values()].find((c) => c.referKey) || null;
  if (frame.ref) {
    // A message the server refused for good (too long, conversation over): keep its text as a draft.
    const pending = outboxLoad().find((m) => m.client_id === frame.ref);
    if (pending && ["text_too_long", "not_your_conversation", "unknown_conversation", "not_in_conversation", "invalid_state", "invalid_field"].includes(frame.code)) {
      outboxRemove(frame.ref);
      const c = conversations.get(pending.conversation_id);
      if (c) {
        conv = conv || c;
        const node = c.pendingNodes.get(frame.ref);
        if (node) node.remove();
        c.pendingNodes.delete(frame.ref);
        c.textarea.value = pending.text + (c.textarea.value ? "\n" + c.textarea.value : "");
        saveDraft(c);
      }
    }
  }
  if (conv && frame.code === "unknown_organisation" && conv.referKey) {
    // The partner has no queue of its own on this server: the contact details were sent, so end.
    conv.referKey = null;
    send({ type: "end", conversation_id: conv.id, outcome: "referred" });
    return;
  }
  if (conv) systemLine(conv, text);
  else showAlert(text);
}

// ---------------------------------------------------------------------------------------------
// availability

const statusButtons = [...document.querySelectorAll(".status-group button")];
function setStatusButtons(status) {
  for (const b of statusButtons) b.setAttribute("aria-pressed", String(b.dataset.status === status));
}
function chooseStatus(status) {
  desiredStatus = status;
  STORE.setItem("crossroads.status", status);
  setStatusButtons(status);
  send({ type: "status", status });
}
statusButtons.forEach((b) => b.addEventListener("click", () => chooseStatus(b.dataset.status)));

function updateLoad() {
  const open = [...conversations.values()].filter((c) => !c.ended).length;
  document.getElementById("load").textContent = `${open} of ${me.capacity} chats`;
}

// ---------------------------------------------------------------------------------------------
// queue and offers

const queueEl = document.getElementById("queue");
function onQueue(frame) {
  queueItems = frame.items || [];
  queueReceivedAt = Date.now();
  renderQueue();
}
function renderQueue() {
  queueEl.replaceChildren();
  const elapsed = (Date.now() - queueReceivedAt) / 1000;
  for (const item of queueItems) {
    const li = el("li");
    const top = el("div", "row");
    top.append(el("strong", "", `Waiting ${fmtWait((item.waited_seconds || 0) + elapsed)}`));
    if (item.position) top.append(el("span", "small muted", `#${item.position}`));
    li.append(top, prefChips(item.preferences));
    queueEl.append(li);
  }
  document.getElementById("queue-count").textContent = String(queueItems.length);
  show(document.getElementById("queue-empty"), queueItems.length === 0);
}
setInterval(renderQueue, 5000);

const offersEl = document.getElementById("offers");
function onOffer(frame) {
  const card = el("article", "offer pulse");
  card.setAttribute("aria-label", "New conversation offer");
  card.append(el("strong", "", "Someone would like to talk"));
  card.append(prefChips(frame.preferences));
  const wait = el("div", "small", `Waited ${fmtWait(frame.waited_seconds || 0)}`);
  card.append(wait);
  const expiry = el("div", "small muted");
  card.append(expiry);
  const row = el("div", "row");
  const accept = el("button", "btn btn-primary btn-small", "Accept");
  accept.type = "button";
  accept.dataset.action = "accept";
  const decline = el("button", "btn btn-small", "Decline");
  decline.type = "button";
  decline.dataset.action = "decline";
  accept.addEventListener("click", () => acceptOffer(frame.offer_id));
  decline.addEventListener("click", () => declineOffer(frame.offer_id));
  row.append(accept, decline);
  card.append(row);
  offersEl.append(card);
  const entry = { frame, node: card, expiry, timer: null };
  const tick = () => {
    if (!frame.expires_at) return;
    const left = Math.max(0, (new Date(frame.expires_at).getTime() - Date.now()) / 1000);
    expiry.textContent = `Offer open for ${Math.ceil(left)} s`;
  };
  tick();
  entry.timer = setInterval(tick, 1000);
  offers.set(frame.offer_id, entry);
  show(document.getElementById("offers-empty"), false);
  beep();
  flashTitle("New offer · Crossroads");
  if (!document.activeElement || document.activeElement === document.body) accept.focus();
}
function removeOffer(offerId, why) {
  const entry = offers.get(offerId);
  if (!entry) return;
  clearInterval(entry.timer);
  entry.node.remove();
  offers.delete(offerId);
  show(document.getElementById("offers-empty"), offers.size === 0);
  if (offers.size === 0) stopFlash();
  if (why === "expired") showAlert("An offer ran out before it was accepted; it went to the next counsellor.");
  if (why === "left") showAlert("The player left the queue before the offer was accepted.");
}
function acceptOffer(offerId) {
  if (send({ type: "accept", offer_id: offerId })) removeOffer(offerId, "accepted");
}
function declineOffer(offerId) {
  if (send({ type: "decline", offer_id: offerId })) removeOffer(offerId, "declined");
}

// ---------------------------------------------------------------------------------------------
// conversations

const tabsEl = document.getElementById("tabs");
const panelsEl = document.getElementById("panels");
const tpl = document.getElementById("tpl-panel");

function ensureConversation(id, preferences, info) {
  let conv = conversations.get(id);
  if (conv) {
    if (preferences && !conv.preferences) conv.preferences = preferences;
    return conv;
  }
  chatCounter += 1;
  const index = chatCounter;
  const panel = tpl.content.firstElementChild.cloneNode(true);
  panel.id = `panel-${id}`;
  const tab = el("button");
  tab.type = "button";
  tab.setAttribute("role", "tab");
  tab.id = `tab-${id}`;
  tab.setAttribute("aria-controls", panel.id);
  panel.setAttribute("aria-labelledby", tab.id);
  const label = el("span", "", `Chat ${index}`);
  const unread = el("span", "unread hidden", "0");
  tab.append(label, unread);
  conv = {
    id,
    index,
    preferences: preferences || null,
    messages: new Map(),
    lastSeq: 0,
    lastReadSent: 0,
    readByPlayer: 0,
    ended: false,
    unread: 0,
    tab,
    unreadEl: unread,
    panel,
    log: panel.querySelector(".log"),
    typingEl: panel.querySelector(".typing"),
    textarea: panel.querySelector("textarea"),
    pendingNodes: new Map(),
    typingSentAt: 0,
    typingOffTimer: null,
    playerTypingTimer: null,
  };
  const textareaId = `reply-${id}`;
  conv.textarea.id = textareaId;
  panel.querySelector(".composer label").setAttribute("for", textareaId);
  const since = info && info.started_at ? fmtTime(info.started_at) : fmtTime();
  panel.querySelector(".conv-head .title").textContent = `Chat ${index} · since ${since}`;
  panel.querySelector(".conv-head .prefs").replaceWith(prefChips(conv.preferences));
  if (info && info.supervisor_requested) show(panel.querySelector(".sup-chip"), true);
  conv.textarea.value = STORE.getItem(`crossroads.draft.${id}`) || "";
  conversations.set(id, conv);
  wirePanel(conv);
  tab.addEventListener("click", () => activate(id));
  tab.addEventListener("keydown", onTabKey);
  tabsEl.append(tab);
  panelsEl.append(panel);
  // Pending messages from before a reload are shown again (they are still in the outbox).
  for (const item of outboxLoad()) if (item.conversation_id === id) addPending(conv, item.client_id, item.text);
  show(document.getElementById("no-chats"), false);
  if (!activeId) activate(id);
  else show(panel, false);
  updateLoad();
  loadCanned();
  return conv;
}

function onTabKey(event) {
  const tabs = [...tabsEl.querySelectorAll('[role="tab"]')];
  const i = tabs.indexOf(event.currentTarget);
  let j = -1;
  if (event.key === "ArrowRight") j = (i + 1) % tabs.length;
  if (event.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
  if (event.key === "Home") j = 0;
  if (event.key === "End") j = tabs.length - 1;
  if (j >= 0) {
    event.preventDefault();
    tabs[j].focus();
    tabs[j].click();
  }
}

function activate(id) {
  activeId = id;
  for (const [cid, conv] of conversations) {
    const on = cid === id;
    conv.tab.setAttribute("aria-selected", String(on));
    conv.tab.tabIndex = on ? 0 : -1;
    show(conv.panel, on);
    if (on) {
      conv.unread = 0;
      show(conv.unreadEl, false);
      markRead(conv);
      scrollDown(conv);
    }
  }
  loadNotes();
}

function wirePanel(conv) {
  const form = conv.panel.querySelector(".composer");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage(conv);
  });
  conv.textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendMessage(conv);
    } else if (event.key === "Tab" && !event.shiftKey && expandShortcut(conv)) {
      event.preventDefault();
    }
  });
  conv.textarea.addEventListener("input", () => {
    saveDraft(conv);
    const now = Date.now();
    if (now - conv.typingSentAt > 3000) {
      conv.typingSentAt = now;
      send({ type: "typing", conversation_id: conv.id, on: true });
    }
    clearTimeout(conv.typingOffTimer);
    conv.typingOffTimer = setTimeout(() => stopTyping(conv), 4000);
  });
  conv.textarea.addEventListener("focus", () => markRead(conv));
  conv.panel.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("click", () => convAction(conv, button.dataset.action));
  });
}

function saveDraft(conv) {
  if (conv.textarea.value) STORE.setItem(`crossroads.draft.${conv.id}`, conv.textarea.value);
  else STORE.removeItem(`crossroads.draft.${conv.id}`);
}

function stopTyping(conv) {
  if (conv.typingSentAt) {
    conv.typingSentAt = 0;
    send({ type: "typing", conversation_id: conv.id, on: false });
  }
}

function expandShortcut(conv) {
  const text = conv.textarea.value;
  const match = /(^|\s)\/([a-z0-9_-]+)$/i.exec(text);
  if (!match) return false;
  const item = cannedItems.find((c) => c.shortcut.toLowerCase() === match[2].toLowerCase());
  if (!item) return false;
  conv.textarea.value = text.slice(0, text.length - match[2].length - 1) + item.body;
  saveDraft(conv);
  return true;
}

function sendMessage(conv) {
  const text = conv.textarea.value.trim();
  if (!text || conv.ended) return;
  if (text.length > 4000) {
    systemLine(conv, "This message is longer than 4000 characters; please split it.");
    return;
  }
  const clientId = newClientId();
  outboxAdd({ conversation_id: conv.id, client_id: clientId, text });
  addPending(conv, clientId, text);
  conv.textarea.value = "";
  saveDraft(conv);
  clearTimeout(conv.typingOffTimer);
  stopTyping(conv);
  send({ type: "message", conversation_id: conv.id, client_id: clientId, text });
}

function bubble(sender, text, metaText) {
  const node = el("div", `msg msg-${sender}`);
  node.append(el("span", "text", text));
  const meta = el("span", "meta", metaText);
  node.append(meta);
  return node;
}

function addPending(conv, clientId, text) {
  if (conv.pendingNodes.has(clientId)) return;
  const node = bubble("counsellor", text, "sending…");
  node.classList.add("msg-pending");
  node.dataset.clientId = clientId;
  conv.pendingNodes.set(clientId, node);
  conv.log.append(node);
  scrollDown(conv);
}

function scrollDown(conv) { conv.log.scrollTop = conv.log.scrollHeight; }

function systemLine(conv, text) {
  conv.log.append(bubble("system", text, fmtTime()));
  scrollDown(conv);
}

function insertBySeq(conv, node, seq) {
  node.dataset.seq = String(seq);
  // Keep order by seq even if frames ever arrive out of order.
  const after = [...conv.log.querySelectorAll("[data-seq]")].find((n) => Number(n.dataset.seq) > seq);
  if (after) conv.log.insertBefore(node, after);
  else {
    const firstPending = conv.log.querySelector(".msg-pending");
    if (firstPending) conv.log.insertBefore(node, firstPending);
    else conv.log.append(node);
  }
}

function onMessage(frame) {
  const conv = ensureConversation(frame.conversation_id);
  const seq = Number(frame.seq);
  if (conv.messages.has(seq)) return; // already shown: no duplicates
  const sender = frame.sender || "system";
  if (sender === "counsellor" && frame.client_id && conv.pendingNodes.has(frame.client_id)) {
    conv.pendingNodes.get(frame.client_id).remove();
    conv.pendingNodes.delete(frame.client_id);
    outboxRemove(frame.client_id);
  }
  let meta = fmtTime(frame.at);
  if (sender === "counsellor" && frame.sender_name && frame.sender_id !== me.id) meta = `${frame.sender_name} · ${meta}`;
  const node = bubble(sender, frame.text, meta);
  conv.messages.set(seq, { sender, node });
  insertBySeq(conv, node, seq);
  if (sender === "counsellor") node.querySelector(".meta").textContent = meta + (seq <= conv.readByPlayer ? " · read" : " · sent");
  conv.lastSeq = Math.max(conv.lastSeq, seq);
  if (sender === "player") {
    conv.typingEl.textContent = "";
    if (conv.id !== activeId || document.hidden) {
      conv.unread += 1;
      conv.unreadEl.textContent = String(conv.unread);
      show(conv.unreadEl, true);
    } else {
      markRead(conv);
    }
  }
  scrollDown(conv);
}

function onAck(frame) {
  const conv = conversations.get(frame.conversation_id);
  outboxRemove(frame.client_id);
  if (!conv) return;
  const node = conv.pendingNodes.get(frame.client_id);
  const seq = Number(frame.seq);
  if (!node) return;
  conv.pendingNodes.delete(frame.client_id);
  if (conv.messages.has(seq)) { node.remove(); return; }
  node.classList.remove("msg-pending");
  node.querySelector(".meta").textContent = `${fmtTime(frame.at)} · ${seq <= conv.readByPlayer ? "read" : "sent"}`;
  conv.messages.set(seq, { sender: "counsellor", node });
  node.remove();
  insertBySeq(conv, node, seq);
  conv.lastSeq = Math.max(conv.lastSeq, seq);
}

function onTyping(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (!conv) return;
  conv.typingEl.textContent = frame.on ? "The player is typing…" : "";
  clearTimeout(conv.playerTypingTimer);
  if (frame.on) conv.playerTypingTimer = setTimeout(() => { conv.typingEl.textContent = ""; }, 8000);
}

function onRead(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (!conv) return;
  conv.readByPlayer = Math.max(conv.readByPlayer, Number(frame.seq));
  for (const [seq, msg] of conv.messages) {
    if (msg.sender === "counsellor" && seq <= conv.readByPlayer) {
      const meta = msg.node.querySelector(".meta");
      meta.textContent = meta.textContent.replace(/ · sent$/, " · read");
    }
  }
}

function markRead(conv) {
  if (conv.id !== activeId || document.hidden) return;
  let highest = 0;
  for (const [seq, msg] of conv.messages) if (msg.sender === "player" && seq > highest) highest = seq;
  if (highest > conv.lastReadSent && send({ type: "read", conversation_id: conv.id, seq: highest })) conv.lastReadSent = highest;
}
document.addEventListener("visibilitychange", () => {
  const conv = conversations.get(activeId);
  if (conv) markRead(conv);
});

function onMatched(frame) {
  const conv = ensureConversation(frame.conversation_id, frame.preferences, frame);
  // A transferred or re-queued conversation has history: fetch what this console has not seen.
  send({ type: "resume", conversation_id: conv.id, last_seq: conv.lastSeq });
  if (!conv.ended) {
    systemLine(conv, frame.transferred_from ? "A colleague transferred this conversation to you." : "Connected. The player can see your display name and kind.");
    activate(conv.id);
    conv.textarea.focus();
  }
}

function markEnded(conv, by, outcome) {
  if (conv.ended) return;
  conv.ended = true;
  const banner = conv.panel.querySelector(".ended-banner");
  const who = by === "player" ? "The player ended the conversation" : by === "system" ? "The conversation was closed" : "You ended the conversation";
  banner.querySelector(".ended-text").textContent = `${who}${outcome ? ` (${OUTCOME_LABELS[outcome] || outcome})` : ""}.`;
  show(banner, true);
  conv.panel.querySelectorAll(".composer textarea, .composer button, .conv-tools button").forEach((n) => { n.disabled = true; });
  conv.typingEl.textContent = "";
  STORE.removeItem(`crossroads.draft.${conv.id}`);
  // Messages that never reached the server cannot be delivered any more: say so plainly.
  outboxSave(outboxLoad().filter((m) => m.conversation_id !== conv.id));
  for (const node of conv.pendingNodes.values()) {
    node.classList.remove("msg-pending");
    node.querySelector(".meta").textContent = "not delivered: the conversation had ended";
  }
  conv.pendingNodes.clear();
  updateLoad();
}

function onEnded(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (conv) markEnded(conv, frame.by, frame.outcome);
}

function onTransferred(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (conv) {
    markEnded(conv, "system", null);
    conv.panel.querySelector(".ended-text").textContent = "Transferred to a colleague.";
  }
}

// About ten minutes before a booked slot: how many booked players may come (no player data).
function onBookingsSoon(frame) {
  const at = new Date(frame.slot_at);
  if (Number.isNaN(at.getTime()) || !Number.isInteger(frame.count) || frame.count < 1) return;
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const who = frame.count === 1 ? "1 booked conversation starts" : `${frame.count} booked conversations start`;
  const box = document.getElementById("bookings-note");
  box.textContent = `${who} at ${time}. Booked players join the front of the queue when their slot begins.`;
  show(box, true);
  setTimeout(() => show(box, false), Math.max(60_000, at.getTime() - Date.now() + 15 * 60_000));
}

function onSupervisor(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (!conv) return;
  show(conv.panel.querySelector(".sup-chip"), true);
  if (frame.by_staff_id !== me.id) systemLine(conv, `${frame.by_display_name} asked for a supervisor.`);
}

function closeTab(conv) {
  conv.tab.remove();
  conv.panel.remove();
  conversations.delete(conv.id);
  if (activeId === conv.id) {
    activeId = null;
    const next = conversations.keys().next();
    if (!next.done) activate(next.value);
  }
  show(document.getElementById("no-chats"), conversations.size === 0);
  updateLoad();
}

// ---------------------------------------------------------------------------------------------
// conversation tools: end, transfer, refer, supervisor

const endDialog = document.getElementById("end-dialog");
const transferDialog = document.getElementById("transfer-dialog");
const referDialog = document.getElementById("refer-dialog");
let dialogConv = null;

async function convAction(conv, action) {
  dialogConv = conv;
  if (action === "end") {
    document.getElementById("end-form").reset();
    prepareEndDialog(conv); // objective.js
    endDialog.showModal();
  } else if (action === "transfer") {
    const select = document.getElementById("transfer-to");
    select.replaceChildren();
    try {
      const data = await api("GET", "/console/api/colleagues");
      for (const c of data.colleagues) {
        const option = el("option", "", `${c.display_name} (${KIND_LABELS[c.kind] || c.kind || "staff"}, ${c.languages.join("/")})${c.status ? " · " + c.status : ""}`);
        option.value = String(c.id);
        select.append(option);
      }
    } catch (err) { systemLine(conv, `Could not load colleagues: ${err.message}`); return; }
    transferDialog.showModal();
  } else if (action === "refer") {
    const select = document.getElementById("refer-to");
    select.replaceChildren();
    try {
      const data = await api("GET", "/console/api/partners");
      for (const p of data.partners) {
        const option = el("option", "", p.name);
        option.value = String(p.id);
        option.dataset.desc = p.description || "";
        select.append(option);
      }
      document.getElementById("refer-desc").textContent = select.selectedOptions[0] ? select.selectedOptions[0].dataset.desc : "No partner organisations are set up yet.";
    } catch (err) { systemLine(conv, `Could not load partners: ${err.message}`); return; }
    referDialog.showModal();
  } else if (action === "supervisor") {
    try {
      await api("POST", `/console/api/conversations/${encodeURIComponent(conv.id)}/supervisor`, {});
    } catch (err) {
      systemLine(conv, `Could not request a supervisor: ${err.message}`);
      return;
    }
    send({ type: "request_supervisor", conversation_id: conv.id });
    show(conv.panel.querySelector(".sup-chip"), true);
  } else if (action === "close") {
    closeTab(conv);
  }
}

document.getElementById("refer-to").addEventListener("change", (event) => {
  const option = event.target.selectedOptions[0];
  document.getElementById("refer-desc").textContent = option ? option.dataset.desc : "";
});

endDialog.addEventListener("close", () => {
  if (endDialog.returnValue !== "confirm" || !dialogConv) return;
  const chosen = endDialog.querySelector('input[name="outcome"]:checked');
  if (!chosen) return;
  send({ type: "end", conversation_id: dialogConv.id, outcome: chosen.value, ...endFields(dialogConv) });
});

transferDialog.addEventListener("close", () => {
  if (transferDialog.returnValue !== "confirm" || !dialogConv) return;
  const to = Number(document.getElementById("transfer-to").value);
  if (to) send({ type: "transfer", conversation_id: dialogConv.id, to_staff_id: to });
});

referDialog.addEventListener("close", async () => {
  if (referDialog.returnValue !== "confirm" || !dialogConv) return;
  const conv = dialogConv;
  const partnerId = Number(document.getElementById("refer-to").value);
  if (!partnerId) return;
  try {
    const data = await api("POST", `/console/api/conversations/${encodeURIComponent(conv.id)}/referral`, { partner_id: partnerId });
    const clientId = newClientId();
    outboxAdd({ conversation_id: conv.id, client_id: clientId, text: data.message });
    addPending(conv, clientId, data.message);
    send({ type: "message", conversation_id: conv.id, client_id: clientId, text: data.message });
    conv.referKey = data.partner.key;
    send({ type: "refer", conversation_id: conv.id, organisation_id: data.partner.key });
  } catch (err) {
    systemLine(conv, `Referral failed: ${err.message}`);
  }
});

// ---------------------------------------------------------------------------------------------
// notes (per conversation, encrypted at rest on the server)

const notesList = document.getElementById("notes-list");
const noteForm = document.getElementById("note-form");
let notesFor = null;
async function loadNotes() {
  const forId = activeId;
  notesFor = forId;
  notesList.replaceChildren();
  show(noteForm, Boolean(forId));
  if (!forId) return;
  try {
    const data = await api("GET", `/console/api/conversations/${encodeURIComponent(forId)}/notes`);
    if (notesFor !== forId) return; // the counsellor switched tabs meanwhile
    notesList.replaceChildren();
    for (const n of data.notes) renderNote(n);
    if (!data.notes.length) notesList.append(el("p", "empty small", "No notes for this conversation yet."));
  } catch (err) {
    notesList.append(el("p", "small", `Notes unavailable: ${err.message}`));
  }
}
function renderNote(n) {
  const empty = notesList.querySelector(".empty");
  if (empty) empty.remove();
  const box = el("div", "note");
  box.append(el("span", "meta", `${n.author} · ${fmtTime(n.created_at)}`));
  box.append(el("span", "", n.body));
  notesList.append(box);
}
noteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = document.getElementById("note-text");
  if (!text.value.trim() || !activeId) return;
  try {
    const data = await api("POST", `/console/api/conversations/${encodeURIComponent(activeId)}/notes`, { body: text.value });
    renderNote(data.note);
    text.value = "";
  } catch (err) {
    notesList.append(el("p", "small", `Could not save: ${err.message}`));
  }
});

// ---------------------------------------------------------------------------------------------
// canned responses

const cannedList = document.getElementById("canned-list");
let cannedLoaded = false;
async function loadCanned(force) {
  if (cannedLoaded && !force) return;
  cannedLoaded = true;
  try {
    const data = await api("GET", "/console/api/canned");
    cannedItems = data.responses;
  } catch { cannedItems = []; }
  cannedList.replaceChildren();
  for (const item of cannedItems) {
    const li = el("li");
    const text = el("div", "canned-text");
    text.append(el("strong", "", item.title), el("br"), el("span", "shortcut", `/${item.shortcut}${item.personal ? " · personal" : ""}`));
    const insert = el("button", "btn btn-small", "Insert");
    insert.type = "button";
    insert.setAttribute("aria-label", `Insert “${item.title}”`);
    insert.addEventListener("click", () => {
      const conv = conversations.get(activeId);
      if (!conv || conv.ended) return;
      conv.textarea.value = conv.textarea.value ? `${conv.textarea.value} ${item.body}` : item.body;
      saveDraft(conv);
      conv.textarea.focus();
    });
    li.append(text, insert);
    if (item.mine) {
      const remove = el("button", "btn btn-quiet btn-small", "Delete");
      remove.type = "button";
      remove.setAttribute("aria-label", `Delete “${item.title}”`);
      remove.addEventListener("click", async () => {
        try {
          await api("DELETE", `/console/api/canned/${item.id}`);
          await loadCanned(true);
        } catch (err) {
          showAlert(`Could not delete: ${err.message}`);
        }
      });
      li.append(remove);
    }
    cannedList.append(li);
  }
  if (!cannedItems.length) cannedList.append(el("li", "empty", "None yet."));
}
document.getElementById("canned-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/console/api/canned", {
      shortcut: document.getElementById("canned-shortcut").value,
      title: document.getElementById("canned-title-input").value,
      body: document.getElementById("canned-body").value,
    });
    event.target.reset();
    event.target.closest("details").open = false;
    await loadCanned(true);
  } catch (err) {
    showAlert(`Could not save the response: ${err.message}`);
  }
});

// ---------------------------------------------------------------------------------------------
// keyboard

const shortcutsDialog = document.getElementById("shortcuts-dialog");
document.getElementById("shortcuts-btn").addEventListener("click", () => shortcutsDialog.showModal());
document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const key = event.key.toLowerCase();
  if (!event.shiftKey && /^[1-9]$/.test(event.key)) {
    const conv = [...conversations.values()][Number(event.key) - 1];
    if (conv) {
      event.preventDefault();
      activate(conv.id);
      conv.textarea.focus();
    }
    return;
  }
  if (!event.shiftKey) return;
  const first = offers.keys().next();
  const actions = {
    a: () => chooseStatus("available"),
    w: () => chooseStatus("away"),
    o: () => chooseStatus("offline"),
    y: () => { if (!first.done) acceptOffer(first.value); },
    n: () => { if (!first.done) declineOffer(first.value); },
    m: () => { if (activeId) document.getElementById("note-text").focus(); },
  };
  if (actions[key]) {
    event.preventDefault();
    actions[key]();
  }
});

// ---------------------------------------------------------------------------------------------
// welfare: shift length and break reminders (the server decides when one is due)

async function checkShift() {
  try {
    const data = await api("GET", "/console/api/shift");
    const box = document.getElementById("shift-note");
    box.textContent = data.message || "";
    show(box, Boolean(data.message));
    const label = document.getElementById("shift-length");
    label.textContent = data.on_shift ? `On shift ${data.on_shift_minutes} min` : "";
  } catch {
    /* the socket status already tells the counsellor when the server is unreachable */
  }
}

setStatusButtons(desiredStatus || "offline");
loadCanned();
connect();
checkShift();
setInterval(checkShift, 60000);
