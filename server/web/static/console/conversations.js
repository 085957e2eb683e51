// Conversations in tabs: messages keyed by seq, pending messages, read marks, typing, ending,
// and the tools (end, transfer, refer, supervisor).

import { KIND_LABELS, OUTCOME_LABELS, STORE, conversations, me, state } from "./state.js";
import { api, el, fmtTime, prefChips, show } from "./dom.js";
import { newClientId, outboxAdd, outboxLoad, outboxRemove, outboxSave, send } from "./socket.js";
import { updateLoad } from "./status.js";
import { loadNotes } from "./notes.js";
import { loadCanned } from "./canned.js";
import { desktopNotify, refreshCue } from "./notify.js";
import { endFields, prepareEndDialog } from "./objective.js";

const tabsEl = document.getElementById("tabs");
const panelsEl = document.getElementById("panels");
const tpl = document.getElementById("tpl-panel");

export function ensureConversation(id, preferences, info) {
  let conv = conversations.get(id);
  if (conv) {
    if (preferences && !conv.preferences) conv.preferences = preferences;
    return conv;
  }
  state.chatCounter += 1;
  const index = state.chatCounter;
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
  if (!state.activeId) activate(id);
  else show(panel, false);
  updateLoad();
  loadCanned();
  return conv;
}

export function onTabKey(event) {
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

export function activate(id) {
  state.activeId = id;
  for (const [cid, conv] of conversations) {
    const on = cid === id;
    conv.tab.setAttribute("aria-selected", String(on));
    conv.tab.tabIndex = on ? 0 : -1;
    show(conv.panel, on);
    if (on) {
      conv.unread = 0;
      show(conv.unreadEl, false);
      refreshCue();
      markRead(conv);
      scrollDown(conv);
    }
  }
  loadNotes();
}

export function wirePanel(conv) {
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

export function saveDraft(conv) {
  if (conv.textarea.value) STORE.setItem(`crossroads.draft.${conv.id}`, conv.textarea.value);
  else STORE.removeItem(`crossroads.draft.${conv.id}`);
}

export function stopTyping(conv) {
  if (conv.typingSentAt) {
    conv.typingSentAt = 0;
    send({ type: "typing", conversation_id: conv.id, on: false });
  }
}

export function expandShortcut(conv) {
  const text = conv.textarea.value;
  const match = /(^|\s)\/([a-z0-9_-]+)$/i.exec(text);
  if (!match) return false;
  const item = state.cannedItems.find((c) => c.shortcut.toLowerCase() === match[2].toLowerCase());
  if (!item) return false;
  conv.textarea.value = text.slice(0, text.length - match[2].length - 1) + item.body;
  saveDraft(conv);
  return true;
}

export function sendMessage(conv) {
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

export function bubble(sender, text, metaText) {
  const node = el("div", `msg msg-${sender}`);
  node.append(el("span", "text", text));
  const meta = el("span", "meta", metaText);
  node.append(meta);
  return node;
}

export function addPending(conv, clientId, text) {
  if (conv.pendingNodes.has(clientId)) return;
  const node = bubble("counsellor", text, "sending…");
  node.classList.add("msg-pending");
  node.dataset.clientId = clientId;
  conv.pendingNodes.set(clientId, node);
  conv.log.append(node);
  scrollDown(conv);
}

export function scrollDown(conv) { conv.log.scrollTop = conv.log.scrollHeight; }

export function systemLine(conv, text) {
  conv.log.append(bubble("system", text, fmtTime()));
  scrollDown(conv);
}

export function insertBySeq(conv, node, seq) {
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

export function onMessage(frame) {
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
    if (conv.id !== state.activeId || document.hidden) {
      conv.unread += 1;
      conv.unreadEl.textContent = String(conv.unread);
      show(conv.unreadEl, true);
      refreshCue();
      desktopNotify(`Chat ${conv.index}: new message`, "The player wrote something. Open the console to read it.", `message-${conv.id}`);
    } else {
      markRead(conv);
    }
  }
  scrollDown(conv);
}

export function onAck(frame) {
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

export function onTyping(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (!conv) return;
  conv.typingEl.textContent = frame.on ? "The player is typing…" : "";
  clearTimeout(conv.playerTypingTimer);
  if (frame.on) conv.playerTypingTimer = setTimeout(() => { conv.typingEl.textContent = ""; }, 8000);
}

export function onRead(frame) {
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

export function markRead(conv) {
  if (conv.id !== state.activeId || document.hidden) return;
  let highest = 0;
  for (const [seq, msg] of conv.messages) if (msg.sender === "player" && seq > highest) highest = seq;
  if (highest > conv.lastReadSent && send({ type: "read", conversation_id: conv.id, seq: highest })) conv.lastReadSent = highest;
}
document.addEventListener("visibilitychange", () => {
  const conv = conversations.get(state.activeId);
  if (!conv) return;
  if (!document.hidden && conv.unread) {
    conv.unread = 0;
    show(conv.unreadEl, false);
    refreshCue();
  }
  markRead(conv);
});

export function onMatched(frame) {
  const conv = ensureConversation(frame.conversation_id, frame.preferences, frame);
  // A transferred or re-queued conversation has history: fetch what this console has not seen.
  send({ type: "resume", conversation_id: conv.id, last_seq: conv.lastSeq });
  if (!conv.ended) {
    systemLine(conv, frame.transferred_from ? "A colleague transferred this conversation to you." : "Connected. The player can see your display name and kind.");
    activate(conv.id);
    conv.textarea.focus();
  }
}

export function markEnded(conv, by, outcome) {
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
  refreshCue();
}

export function onEnded(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (conv) markEnded(conv, frame.by, frame.outcome);
}

export function onTransferred(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (conv) {
    markEnded(conv, "system", null);
    conv.panel.querySelector(".ended-text").textContent = "Transferred to a colleague.";
  }
}

// About ten minutes before a booked slot: how many booked players may come (no player data).
export function onBookingsSoon(frame) {
  const at = new Date(frame.slot_at);
  if (Number.isNaN(at.getTime()) || !Number.isInteger(frame.count) || frame.count < 1) return;
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const who = frame.count === 1 ? "1 booked conversation starts" : `${frame.count} booked conversations start`;
  const box = document.getElementById("bookings-note");
  box.textContent = `${who} at ${time}. Booked players join the front of the queue when their slot begins.`;
  show(box, true);
  setTimeout(() => show(box, false), Math.max(60_000, at.getTime() - Date.now() + 15 * 60_000));
}

export function onSupervisor(frame) {
  const conv = conversations.get(frame.conversation_id);
  if (!conv) return;
  show(conv.panel.querySelector(".sup-chip"), true);
  if (frame.by_staff_id !== me.id) systemLine(conv, `${frame.by_display_name} asked for a supervisor.`);
}

export function closeTab(conv) {
  conv.tab.remove();
  conv.panel.remove();
  conversations.delete(conv.id);
  if (state.activeId === conv.id) {
    state.activeId = null;
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

export async function convAction(conv, action) {
  dialogConv = conv;
  if (action === "end") {
    document.getElementById("end-form").reset();
    prepareEndDialog(conv);
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
