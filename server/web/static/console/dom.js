// Small DOM helpers (text only: chat text never goes through innerHTML) and the JSON API.

import { KIND_LABELS, csrfToken } from "./state.js";
import { objectiveChip } from "./objective.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function show(node, visible) { node.classList.toggle("hidden", !visible); }

export function fmtWait(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${seconds % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtTime(iso) {
  const d = iso ? new Date(iso) : new Date();
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function prefChips(prefs) {
  const box = el("span", "prefs");
  if (!prefs) return box;
  const add = (text, cls) => box.append(el("span", "chip" + (cls ? " " + cls : ""), text));
  if (prefs.crisis) add("Needs help now", "chip-danger");
  if (prefs.language) add(String(prefs.language).toUpperCase());
  if (prefs.kind) add((KIND_LABELS[prefs.kind] || prefs.kind) + (prefs.kind_required ? " (insisted)" : ""));
  if (prefs.gender) add(prefs.gender);
  if (prefs.age_band) add(prefs.age_band);
  if (prefs.format && prefs.format !== "chat") add(prefs.format.replace("_", " "));
  const objective = objectiveChip(prefs);
  if (objective) box.append(objective);
  return box;
}

export async function api(method, path, body) {
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

export function showAlert(text) {
  const box = document.getElementById("global-alert");
  box.textContent = text;
  show(box, Boolean(text));
}
