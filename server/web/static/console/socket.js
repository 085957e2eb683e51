// The staff socket and the outbox: every message keeps its client id in sessionStorage until
// the server acknowledges it, so a dropped socket or a restart loses nothing.

import { STORE, root, state } from "./state.js";
import { showAlert } from "./dom.js";

//: What the entry point does with each frame and when the socket drops (set once at start).
export const hooks = {
  onFrame: (frame) => frame,
  onLost: () => undefined,
};

export function outboxLoad() {
  try { return JSON.parse(STORE.getItem("crossroads.outbox") || "[]"); } catch { return []; }
}
export function outboxSave(list) { STORE.setItem("crossroads.outbox", JSON.stringify(list)); }
export function outboxAdd(item) { const list = outboxLoad(); list.push(item); outboxSave(list); }
export function outboxRemove(clientId) { outboxSave(outboxLoad().filter((m) => m.client_id !== clientId)); }

export function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

// the socket

// Reconnecting: the first retry comes at once, later ones are jittered and capped at 1.5 s,
// and while the socket is down /healthz is probed about once a second; a healthy answer
// resets the backoff and reconnects at once. So the console is back within about 2 s of the
// server (docs/STAFF.md), without every console of a shift hammering it in step.
const BACKOFF_MIN = 200;
const BACKOFF_MAX = 1500;
let ws = null;
let backoff = BACKOFF_MIN;
let reconnectTimer = null;
let probeTimer = null;

export function jitter(ms) { return ms * (0.75 + Math.random() * 0.5); }

export function scheduleReconnect() {
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(connect, jitter(backoff));
  backoff = Math.min(backoff * 2, BACKOFF_MAX);
  clearTimeout(probeTimer);
  probeTimer = setTimeout(probeHealth, jitter(1000));
}

export async function probeHealth() {
  probeTimer = null;
  if (ws && ws.readyState === WebSocket.OPEN) return;
  try {
    const response = await fetch("/healthz", { cache: "no-store", credentials: "same-origin" });
    if (response.ok && !(ws && ws.readyState <= WebSocket.OPEN)) {
      backoff = BACKOFF_MIN;
      clearTimeout(reconnectTimer);
      connect();
      return;
    }
  } catch {
    /* still down */
  }
  if (!(ws && ws.readyState === WebSocket.OPEN)) probeTimer = setTimeout(probeHealth, jitter(1000));
}
const connEl = document.getElementById("conn");

export function setConn(state, text) {
  connEl.classList.remove("online", "reconnecting");
  if (state) connEl.classList.add(state);
  connEl.textContent = text;
}

export function send(frame) {
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

export function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${window.location.host}${root.dataset.wsPath}`);
  setConn("reconnecting", state.everConnected ? "Reconnecting…" : "Connecting…");
  ws.addEventListener("open", () => { backoff = BACKOFF_MIN; clearTimeout(probeTimer); });
  ws.addEventListener("message", (event) => {
    let frame;
    try { frame = JSON.parse(event.data); } catch { return; }
    hooks.onFrame(frame);
  });
  const socket = ws;
  ws.addEventListener("close", (event) => {
    if (ws !== socket) return; // an older socket closing after a newer one opened
    ws = null;
    if (event.code === 4001 || event.code === 4003) {
      // Signed out (here, elsewhere, or the account was disabled): drafts stay in this tab.
      setConn("", "Signed out");
      STORE.removeItem("crossroads.status");
      showAlert("Your session ended. Sign in again to continue; your drafts are kept.");
      window.location.assign("/login?next=/console");
      return;
    }
    if (event.code === 4011) {
      // Roles or password changed: reconnect now and get what this account may do today.
      showAlert("Your access was changed by an administrator or on your account page; reconnecting.");
      backoff = BACKOFF_MIN;
    }
    hooks.onLost(); // e.g. a 401 there means the session is gone: sign in again
    setConn("reconnecting", "Connection lost, reconnecting…");
    scheduleReconnect();
  });
}
