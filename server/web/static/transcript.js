// Follow a live conversation on the supervisor's transcript page (text only, never HTML).

const box = document.getElementById("transcript");
const log = document.getElementById("transcript-log");
const id = box.dataset.conversationId;
let lastSeq = Number(box.dataset.lastSeq);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

async function poll() {
  try {
    const response = await fetch(
      `/supervisor/api/conversations/${encodeURIComponent(id)}/messages?after=${lastSeq}`,
      { credentials: "same-origin", headers: { Accept: "application/json" } },
    );
    if (!response.ok) return;
    const data = await response.json();
    if (data.messages.length) {
      const empty = log.querySelector(".empty");
      if (empty) empty.remove();
    }
    for (const m of data.messages) {
      if (m.seq <= lastSeq) continue;
      const node = el("div", `msg msg-${m.sender}`);
      node.append(el("span", "text", m.text), el("span", "meta", `${m.sender} · ${m.at}`));
      log.append(node);
      lastSeq = m.seq;
    }
    if (data.state !== "active" && data.state !== "grace") {
      const chip = document.getElementById("live-chip");
      chip.textContent = "ended";
      chip.className = "chip";
      clearInterval(timer);
    }
  } catch {
    /* offline for a moment: the next poll catches up from lastSeq */
  }
}

const timer = setInterval(poll, 3000);
