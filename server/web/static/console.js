// Crossroads counsellor console: ES modules (no build step) speaking JSON over /ws/staff (docs/PROTOCOL.md).
//
// Rules this file keeps:
// * chat text is only ever put on the page with textContent (never innerHTML);
// * every message has a client id and stays in an outbox (sessionStorage) until acknowledged, so
//   a dropped socket or a server restart loses nothing and a retry never duplicates;
// * messages are keyed by their server sequence number; resume asks for everything after the
//   last seen one, so nothing shows twice and nothing is skipped;
// * drafts live in sessionStorage, so a reload or a restart keeps what was typed.
//
// This entry point dispatches frames and wires the keyboard; the parts live in ./console/.

import { STORE, conversations, me, offers, state } from "./console/state.js";
import { showAlert } from "./console/dom.js";
import { initNotifications, showSoundNote } from "./console/notify.js";
import { connect, hooks, outboxLoad, outboxRemove, send, setConn } from "./console/socket.js";
import { checkShift, chooseStatus, initAutoAway, onStatus, setStatusButtons, storedStatus, updateLoad } from "./console/status.js";
import { acceptOffer, declineOffer, onOffer, onQueue, removeOffer } from "./console/offers.js";
import { activate, ensureConversation, markEnded, onAck, onBookingsSoon, onEnded, onMatched, onMessage, onRead, onSupervisor, onTransferred, onTyping, saveDraft, systemLine } from "./console/conversations.js";
import { loadCanned } from "./console/canned.js";
import { loadHistory } from "./console/history.js";
import { onObjective } from "./console/objective.js";

function handleFrame(frame) {
  switch (frame.type) {
    case "welcome": return onWelcome(frame);
    case "queue": return onQueue(frame);
    case "offer": return onOffer(frame);
    case "offer_expired":
      state.lastOfferExpired = frame.reason === "expired";
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
  state.everConnected = true;
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
  state.signedInAt = (frame.staff && frame.staff.signed_in_at) || null;
  const remembered = storedStatus();
  state.desiredStatus = remembered && remembered.signedInAt === state.signedInAt ? remembered.status : null;
  if (!state.desiredStatus) STORE.removeItem("crossroads.status");
  if (state.desiredStatus && state.desiredStatus !== serverStatus) send({ type: "status", status: state.desiredStatus });
  setStatusButtons(state.desiredStatus || serverStatus || "offline");
  updateLoad();
}

function onError(frame) {
  const text = frame.message || frame.code || "Something went wrong.";
  let conv = frame.conversation_id ? conversations.get(frame.conversation_id) : null;
  if (frame.code === "unknown_organisation") conv = [...conversations.values()].find((c) => c.referKey) || null;
  if (frame.ref) {
    // A message the server refused for good (too long, conversation over): keep its text as a draft.
    const pending = outboxLoad().find((m) => m.client_id === frame.ref);
    if (pending && ["text_too_long", "not_your_conversation", "unknown_conversation", "not_in_conversation", "invalid_state", "invalid_field", "invalid_utf8", "client_id_reused"].includes(frame.code)) {
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
    m: () => { if (state.activeId) document.getElementById("note-text").focus(); },
  };
  if (actions[key]) {
    event.preventDefault();
    actions[key]();
  }
});


setStatusButtons(state.desiredStatus || "offline");
showSoundNote();
initNotifications();
initAutoAway();
loadCanned();
loadHistory();
hooks.onFrame = handleFrame;
hooks.onLost = checkShift;
connect();
checkShift();
setInterval(checkShift, 60000);
