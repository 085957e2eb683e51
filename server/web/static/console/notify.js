// Attention: the offer sound (Web Audio, no files), the tab title and (added below) desktop
// notifications and the favicon cue.

import { offers } from "./state.js";
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

const baseTitle = document.title;
let titleTimer = null;
export function flashTitle(text) {
  if (titleTimer) return;
  let on = false;
  titleTimer = setInterval(() => {
    on = !on;
    document.title = on ? text : baseTitle;
  }, 1000);
}
export function stopFlash() {
  if (titleTimer) clearInterval(titleTimer);
  titleTimer = null;
  document.title = baseTitle;
}
window.addEventListener("focus", () => { if (offers.size === 0) stopFlash(); });
