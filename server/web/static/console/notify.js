// Attention: the offer sound (Web Audio, no files), the tab title and favicon cue (offers and
// unread messages in open chats), and opt-in desktop notifications. Notifications never carry
// chat text: a screen others can see shows only that something is waiting.

import { conversations, offers } from "./state.js";
import { show } from "./dom.js";

let audio = null;
export function unlockAudio() {
  if (!audio) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) audio = new Ctx();
  }
  if (audio && audio.state === "suspended") audio.resume().then(showSoundNote, showSoundNote);
  showSoundNote();
}
document.addEventListener("pointerdown", unlockAudio, { once: false });
document.addEventListener("keydown", unlockAudio, { once: false });

// Browsers keep audio silent until the page gets a click or a key: say so plainly, instead of
// letting the first offer of a shift arrive without the sound the counsellor expects.
export function soundReady() { return Boolean(audio && audio.state === "running"); }
export function showSoundNote() {
  const wanted = document.getElementById("sound-on").checked;
  show(document.getElementById("sound-note"), wanted && !soundReady());
}
document.getElementById("sound-enable").addEventListener("click", () => { unlockAudio(); beep(true); });
document.getElementById("sound-on").addEventListener("change", showSoundNote);

export function beep(test = false) {
  if (!audio || (!test && !document.getElementById("sound-on").checked)) return;
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

const pageTitle = document.title;
let titleTimer = null;
let unreadTotal = 0;
function baseTitle() { return unreadTotal ? `(${unreadTotal}) ${pageTitle}` : pageTitle; }
export function flashTitle(text) {
  if (titleTimer) return;
  let on = false;
  titleTimer = setInterval(() => {
    on = !on;
    document.title = on ? text : baseTitle();
  }, 1000);
}
export function stopFlash() {
  if (titleTimer) clearInterval(titleTimer);
  titleTimer = null;
  document.title = baseTitle();
}
window.addEventListener("focus", () => { if (offers.size === 0) stopFlash(); });

// The favicon gets a dot while an offer or an unread message waits (img-src allows data:).
const icon = document.querySelector('link[rel="icon"]');
const plainIcon = icon ? icon.href : "";
const dotIcon = "data:image/svg+xml," + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#7aa9a6"/>'
  + '<path d="M16 1a15 15 0 0 1 15 15H16zM16 31A15 15 0 0 1 1 16h15z" fill="#2f6f73"/>'
  + '<circle cx="25" cy="7" r="7" fill="#c0392b"/></svg>');

/** Recount unread messages over the open chats; update the title and the favicon. */
export function refreshCue() {
  unreadTotal = 0;
  for (const conv of conversations.values()) if (!conv.ended) unreadTotal += conv.unread;
  if (!titleTimer) document.title = baseTitle();
  if (icon) icon.href = unreadTotal || offers.size ? dotIcon : plainIcon;
  document.documentElement.dataset.attention = unreadTotal || offers.size ? "yes" : "no";
}

const notifyBox = document.getElementById("notify-on");
const NOTIFY_KEY = "crossroads.notifications";
export function initNotifications() {
  if (!("Notification" in window)) {
    notifyBox.disabled = true;
    notifyBox.parentElement.title = "This browser has no desktop notifications.";
    return;
  }
  notifyBox.checked = window.localStorage.getItem(NOTIFY_KEY) === "on" && Notification.permission === "granted";
  notifyBox.addEventListener("change", async () => {
    if (notifyBox.checked && Notification.permission !== "granted") {
      notifyBox.checked = (await Notification.requestPermission()) === "granted";
    }
    window.localStorage.setItem(NOTIFY_KEY, notifyBox.checked ? "on" : "off");
  });
}

/** A desktop notification, only when opted in and the console is not in front. */
export function desktopNotify(title, body, tag) {
  if (!notifyBox.checked || !("Notification" in window) || Notification.permission !== "granted") return;
  if (!document.hidden && document.hasFocus()) return;
  try {
    const note = new Notification(title, { body, tag });
    note.addEventListener("click", () => { window.focus(); note.close(); });
  } catch {
    /* some browsers allow notifications only from a service worker: the title cue remains */
  }
}
