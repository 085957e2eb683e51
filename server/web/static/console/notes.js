// Private notes per conversation (encrypted at rest on the server).

import { conversations, state } from "./state.js";
import { api, el, fmtTime, show } from "./dom.js";

const notesList = document.getElementById("notes-list");
const noteForm = document.getElementById("note-form");
let notesFor = null;
export async function loadNotes() {
  const forId = state.activeId;
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
export function renderNote(n) {
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
  if (!text.value.trim() || !state.activeId) return;
  try {
    const data = await api("POST", `/console/api/conversations/${encodeURIComponent(state.activeId)}/notes`, { body: text.value });
    renderNote(data.note);
    text.value = "";
  } catch (err) {
    notesList.append(el("p", "small", `Could not save: ${err.message}`));
  }
});
