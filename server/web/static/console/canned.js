// Canned responses: organisation-wide and personal; /shortcut + Tab inserts one.

import { conversations, state } from "./state.js";
import { api, el, showAlert } from "./dom.js";
import { saveDraft } from "./conversations.js";

const cannedList = document.getElementById("canned-list");
let cannedLoaded = false;
export async function loadCanned(force) {
  if (cannedLoaded && !force) return;
  cannedLoaded = true;
  try {
    const data = await api("GET", "/console/api/canned");
    state.cannedItems = data.responses;
  } catch { state.cannedItems = []; }
  cannedList.replaceChildren();
  for (const item of state.cannedItems) {
    const li = el("li");
    li.dataset.search = `${item.title} ${item.shortcut} ${item.body}`.toLowerCase();
    const text = el("div", "canned-text");
    text.append(el("strong", "", item.title), el("br"), el("span", "shortcut", `/${item.shortcut}${item.personal ? " · personal" : ""}`));
    const insert = el("button", "btn btn-small", "Insert");
    insert.type = "button";
    insert.setAttribute("aria-label", `Insert “${item.title}”`);
    insert.addEventListener("click", () => {
      const conv = conversations.get(state.activeId);
      if (!conv || conv.ended) return;
      conv.textarea.value = conv.textarea.value ? `${conv.textarea.value} ${item.body}` : item.body;
      saveDraft(conv);
      conv.textarea.focus();
    });
    li.append(text, insert);
    if (item.mine) {
      const remove = el("button", "btn btn-quiet btn-small", "Delete");
      remove.type = "button";
      remove.setAttribute("aria-label", `Delete “${item.title}”`);
      remove.addEventListener("click", async () => {
        try {
          await api("DELETE", `/console/api/canned/${item.id}`);
          await loadCanned(true);
        } catch (err) {
          showAlert(`Could not delete: ${err.message}`);
        }
      });
      li.append(remove);
    }
    cannedList.append(li);
  }
  if (!state.cannedItems.length) cannedList.append(el("li", "empty", "None yet."));
}
document.getElementById("canned-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/console/api/canned", {
      shortcut: document.getElementById("canned-shortcut").value,
      title: document.getElementById("canned-title-input").value,
      body: document.getElementById("canned-body").value,
    });
    event.target.reset();
    event.target.closest("details").open = false;
    await loadCanned(true);
  } catch (err) {
    showAlert(`Could not save the response: ${err.message}`);
  }
});

// Search: the list filters as one types (title, shortcut and text; nothing leaves the page).
const cannedSearch = document.getElementById("canned-search");
cannedSearch.addEventListener("input", () => {
  const needle = cannedSearch.value.trim().toLowerCase();
  for (const li of cannedList.children) li.classList.toggle("hidden", Boolean(needle) && !li.dataset.search.includes(needle));
});
