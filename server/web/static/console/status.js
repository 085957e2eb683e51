// Availability: the status buttons, the remembered choice and the caseload figure.

import { STORE, conversations, me, state } from "./state.js";
import { api, show, showAlert } from "./dom.js";
import { unlockAudio } from "./notify.js";
import { send } from "./socket.js";

export function storedStatus() {
  try { return JSON.parse(STORE.getItem("crossroads.status") || "null"); } catch { return null; }
}

export function onStatus(frame) {
  if (!frame.status) return;
  if (state.desiredStatus && frame.status !== state.desiredStatus && frame.status === "away" && state.lastOfferExpired) {
    showAlert("An offer ran out, so you were set to Away. Choose Available when you are ready.");
  }
  if (state.desiredStatus && frame.status !== state.desiredStatus) rememberStatus(frame.status);
  setStatusButtons(frame.status);
  checkShift();
}

const statusButtons = [...document.querySelectorAll(".status-group button")];
let shownStatus = "offline";
export function setStatusButtons(status) {
  shownStatus = status;
  for (const b of statusButtons) b.setAttribute("aria-pressed", String(b.dataset.status === status));
}
export function rememberStatus(status) {
  state.desiredStatus = status;
  STORE.setItem("crossroads.status", JSON.stringify({ status, signedInAt: state.signedInAt }));
}
export function chooseStatus(status) {
  rememberStatus(status);
  if (status === "available") unlockAudio(); // a click: the browser now lets us play sound
  setStatusButtons(status);
  send({ type: "status", status });
}
statusButtons.forEach((b) => b.addEventListener("click", () => chooseStatus(b.dataset.status)));

export function updateLoad() {
  const open = [...conversations.values()].filter((c) => !c.ended).length;
  document.getElementById("load").textContent = `${open} of ${me.capacity} chats`;
}

// Auto-away: an Available counsellor who has not touched the page (key, click, pointer, wheel)
// for the chosen time is set Away, so offers go to colleagues who are there. The time is this
// browser's choice (localStorage); "Never" turns it off.
const idleSelect = document.getElementById("auto-away");
const IDLE_KEY = "crossroads.autoAway";
let lastActive = Date.now();
export function initAutoAway() {
  const saved = window.localStorage.getItem(IDLE_KEY);
  if (saved && [...idleSelect.options].some((o) => o.value === saved)) idleSelect.value = saved;
  idleSelect.addEventListener("change", () => {
    window.localStorage.setItem(IDLE_KEY, idleSelect.value);
    lastActive = Date.now();
  });
  for (const kind of ["pointerdown", "pointermove", "keydown", "wheel"]) {
    document.addEventListener(kind, () => { lastActive = Date.now(); }, { passive: true });
  }
  setInterval(checkIdle, 1000);
}
function checkIdle() {
  const minutes = Number(idleSelect.value);
  if (!minutes || shownStatus !== "available") return;
  if (Date.now() - lastActive < minutes * 60_000) return;
  chooseStatus("away");
  const span = minutes >= 1 ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${Math.round(minutes * 60)} seconds`;
  showAlert(`You were set to Away after ${span} without activity on this page. Choose Available when you are back.`);
}

// Welfare: shift length and break reminders (the server decides when one is due).
export async function checkShift() {
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
