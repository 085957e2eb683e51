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
export function setStatusButtons(status) {
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
