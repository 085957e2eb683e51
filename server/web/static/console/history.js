// My past conversations: the counsellor's own ended chats (they no longer vanish on reload),
// newest first, with a search over their text. Opening one goes to the transcript page.

import { OUTCOME_LABELS } from "./state.js";
import { api, el, fmtTime, show } from "./dom.js";

const list = document.getElementById("history-list");
const more = document.getElementById("history-more");
const input = document.getElementById("history-q");
let nextBefore = null;

function row(item) {
  const li = el("li", "history-item");
  const link = el("a", "", `${new Date(item.started_at).toLocaleDateString()} ${fmtTime(item.started_at)}`);
  link.href = `/supervisor/conversations/${encodeURIComponent(item.conversation_id)}`;
  link.target = "_blank";
  link.rel = "noopener";
  li.append(link, el("span", "small muted", ` · ${OUTCOME_LABELS[item.outcome] || item.outcome || "ended"} · ${item.messages} messages`));
  if (item.snippet) li.append(el("div", "small snippet", item.snippet));
  return li;
}

export async function loadHistory(reset = true) {
  const params = new URLSearchParams();
  if (input.value.trim()) params.set("q", input.value.trim());
  if (!reset && nextBefore) params.set("before", nextBefore);
  if (reset) list.replaceChildren();
  try {
    const data = await api("GET", `/console/api/history?${params}`);
    for (const item of data.conversations) list.append(row(item));
    if (reset && !data.conversations.length) list.append(el("li", "empty small", input.value.trim() ? "Nothing found in your conversations." : "No ended conversations yet."));
    nextBefore = data.next_before;
    show(more, Boolean(nextBefore));
  } catch (err) {
    list.append(el("li", "small", `History unavailable: ${err.message}`));
  }
}

document.getElementById("history-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadHistory(true);
});
more.addEventListener("click", () => loadHistory(false));
