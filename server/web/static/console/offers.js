// The waiting queue (only what this counsellor could serve) and offers.

import { me, offers, state } from "./state.js";
import { el, fmtWait, prefChips, show, showAlert } from "./dom.js";
import { beep, desktopNotify, flashTitle, refreshCue, stopFlash } from "./notify.js";
import { send } from "./socket.js";

const queueEl = document.getElementById("queue");
export function onQueue(frame) {
  state.queueItems = frame.items || [];
  state.queueReceivedAt = Date.now();
  renderQueue();
}
export function renderQueue() {
  queueEl.replaceChildren();
  const elapsed = (Date.now() - state.queueReceivedAt) / 1000;
  for (const item of state.queueItems) {
    const li = el("li");
    const top = el("div", "row");
    top.append(el("strong", "", `Waiting ${fmtWait((item.waited_seconds || 0) + elapsed)}`));
    if (item.position) top.append(el("span", "small muted", `#${item.position}`));
    const where = el("div", "small");
    where.append(el("span", "chip", (item.language || "").toUpperCase() || "?"));
    where.append(el("span", "chip", item.organisation === "home" ? "This service" : `Partner: ${item.organisation}`));
    if (item.player_online === false) where.append(el("span", "chip chip-muted", "Player away"));
    if (item.offered) where.append(el("span", "chip chip-muted", "Offered"));
    li.append(top, where, prefChips({ ...item.preferences, language: null }));
    if (!item.offered && item.player_online !== false && me.capacity > 0) {
      const pick = el("button", "btn btn-small", "Take this chat");
      pick.type = "button";
      pick.dataset.action = "pick";
      pick.addEventListener("click", () => send({ type: "pick", request_id: item.request_id }));
      li.append(pick);
    }
    queueEl.append(li);
  }
  document.getElementById("queue-count").textContent = String(state.queueItems.length);
  show(document.getElementById("queue-empty"), state.queueItems.length === 0);
}
setInterval(renderQueue, 5000);

const offersEl = document.getElementById("offers");
export function onOffer(frame) {
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
  refreshCue();
  desktopNotify("New conversation offer", "Someone would like to talk. Accept or decline in the console.", `offer-${frame.offer_id}`);
  if (!document.activeElement || document.activeElement === document.body) accept.focus();
}
export function removeOffer(offerId, why) {
  const entry = offers.get(offerId);
  if (!entry) return;
  clearInterval(entry.timer);
  entry.node.remove();
  offers.delete(offerId);
  show(document.getElementById("offers-empty"), offers.size === 0);
  if (offers.size === 0) stopFlash();
  refreshCue();
  if (why === "expired") showAlert("An offer ran out before it was accepted; it went to the next counsellor.");
  if (why === "left") showAlert("The player left the queue before the offer was accepted.");
}
export function acceptOffer(offerId) {
  if (send({ type: "accept", offer_id: offerId })) removeOffer(offerId, "accepted");
}
export function declineOffer(offerId) {
  if (send({ type: "decline", offer_id: offerId })) removeOffer(offerId, "declined");
}
