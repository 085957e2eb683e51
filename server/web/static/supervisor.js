// Crossroads supervisor board: polls /supervisor/api/state and redraws with textContent only.

const root = document.getElementById("board-root");
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const maxCapacity = Number(root.dataset.maxCapacity);
const KIND = { professional: "Professional", former: "Former extremist", survivor: "Survivor", peer: "Peer" };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function fmtWait(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  seconds = Math.max(0, Math.floor(seconds));
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function fmtMinutes(minutes) {
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function meter(load, capacity) {
  const box = el("span", "meter");
  const fill = el("span");
  const pct = capacity > 0 ? Math.min(100, Math.round((load / capacity) * 10) * 10) : load > 0 ? 100 : 0;
  fill.className = `w-${pct}`;
  box.append(fill);
  if (capacity > 0 && load >= capacity) box.classList.add("full");
  box.setAttribute("aria-hidden", "true");
  return box;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || `HTTP ${response.status}`);
  return data;
}

let editing = false; // do not redraw a row while someone types a new cap

function capCell(c) {
  const form = el("form", "cap-form");
  const label = el("label", "visually-hidden", `Caseload cap for ${c.display_name}`);
  const input = el("input");
  input.type = "number";
  input.min = "0";
  input.max = String(maxCapacity);
  input.value = String(c.capacity);
  input.id = `cap-${c.id}`;
  label.htmlFor = input.id;
  input.addEventListener("focus", () => { editing = true; });
  input.addEventListener("blur", () => { editing = false; });
  const save = el("button", "btn btn-small", "Save");
  save.type = "submit";
  const status = el("span", "small muted");
  status.setAttribute("role", "status");
  form.append(label, input, save, status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await post(`/supervisor/caps/${c.id}`, { capacity: Number(input.value) });
      status.textContent = "Saved";
      editing = false;
      refresh();
    } catch (err) {
      status.textContent = err.message;
    }
  });
  return form;
}

function render(state) {
  document.getElementById("stat-on-shift").textContent = String(state.on_shift);
  const rostered = document.getElementById("stat-rostered");
  if (rostered) rostered.textContent = state.rota_defined ? (state.rostered_now.join(", ") || "nobody") : "no rota";
  document.getElementById("stat-load").textContent = `${state.total_load} / ${Math.max(0, state.total_capacity - state.total_load)}`;
  document.getElementById("stat-queue").textContent = String(state.queue.length);
  // players whose game is closed are held but never offered: shown apart, not in the count
  const away = state.queue.away || 0;
  document.getElementById("stat-queue-away").textContent = away ? `and ${away} away (game closed)` : "";
  document.getElementById("stat-wait").textContent = fmtWait(state.queue.longest_wait_seconds);
  document.getElementById("stat-wait-box").classList.toggle("attention", (state.queue.longest_wait_seconds || 0) > 600);
  document.getElementById("stat-queue-box").classList.toggle("attention", state.queue.length > 0 && state.total_capacity <= state.total_load);

  const requests = document.getElementById("requests");
  requests.replaceChildren();
  for (const r of state.supervisor_requests) {
    const li = el("li", "row");
    li.append(el("strong", "", r.counsellor));
    li.append(el("span", "small muted", `asked ${fmtWait(r.waiting_seconds)} ago`));
    const link = el("a", "btn btn-small", "Read conversation");
    link.href = `/supervisor/conversations/${encodeURIComponent(r.conversation_id)}`;
    const handled = el("button", "btn btn-small", "Mark handled");
    handled.type = "button";
    handled.addEventListener("click", async () => {
      try {
        await post(`/supervisor/requests/${encodeURIComponent(r.conversation_id)}/handled`, {});
        refresh();
      } catch (err) { handled.textContent = err.message; }
    });
    if (r.seen) li.append(el("span", "chip chip-ok", "read"));
    li.append(link, handled);
    requests.append(li);
  }
  if (!state.supervisor_requests.length) requests.append(el("li", "empty", "No requests."));

  const bookings = document.getElementById("bookings");
  bookings.replaceChildren();
  for (const b of state.bookings || []) {
    const at = new Date(b.slot_at);
    const li = el("li", "row");
    li.append(el("strong", "", at.toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" })));
    li.append(el("span", "", b.count === 1 ? "1 booking" : `${b.count} bookings`));
    if (b.organisation !== "home") li.append(el("span", "chip", b.organisation));
    bookings.append(li);
  }
  if (!(state.bookings || []).length) bookings.append(el("li", "empty", "No bookings."));

  const debriefs = document.getElementById("debriefs");
  debriefs.replaceChildren();
  for (const d of state.debriefs) {
    const li = el("li", "row");
    li.append(el("span", "chip chip-danger", "Safeguarding"));
    li.append(el("strong", "", d.counsellor));
    li.append(el("span", "small muted", new Date(d.flagged_at).toLocaleString()));
    const read = el("a", "btn btn-small", "Read");
    read.href = `/supervisor/conversations/${encodeURIComponent(d.conversation_id)}`;
    const done = el("button", "btn btn-small", "Debrief done");
    done.type = "button";
    done.addEventListener("click", async () => {
      try {
        await post(`/supervisor/debriefs/${encodeURIComponent(d.conversation_id)}/done`, {});
        refresh();
      } catch (err) { done.textContent = err.message; }
    });
    li.append(read, done);
    debriefs.append(li);
  }
  if (!state.debriefs.length) debriefs.append(el("li", "empty", "None owed."));

  if (editing) return;
  const body = document.querySelector("#counsellors tbody");
  body.replaceChildren();
  for (const c of state.counsellors) {
    const tr = el("tr");
    tr.dataset.staffId = String(c.id);
    const who = el("td");
    who.append(el("strong", "", c.display_name), el("br"), el("span", "small muted", `${KIND[c.kind] || c.kind || ""} · ${(c.languages || []).join(", ")}`));
    const status = el("td");
    const chipClass = c.status === "available" ? "chip chip-ok" : c.status === "away" ? "chip chip-warm" : "chip";
    status.append(el("span", chipClass, c.status));
    const load = el("td");
    load.className = "load";
    load.append(meter(c.load, c.capacity), el("span", "load-text", ` ${c.load} of ${c.capacity}`));
    const cap = el("td");
    cap.append(capCell(c));
    const shift = el("td");
    if (c.on_shift) {
      shift.append(el("span", "", fmtMinutes(c.on_shift_minutes)));
      if (c.long_shift) shift.append(el("span", "chip chip-danger", " long shift"));
      else if (c.break_due) shift.append(el("span", "chip chip-warm", ` break due (${fmtMinutes(c.since_break_minutes)})`));
    } else {
      shift.append(el("span", "muted", "–"));
    }
    if (c.rostered) shift.append(el("span", "chip chip-ok", " rostered now"));
    tr.append(who, status, load, cap, shift);
    body.append(tr);
  }
}

async function refresh() {
  try {
    const response = await fetch("/supervisor/api/state", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) { window.location.assign("/login?next=/supervisor"); return; }
    const state = await response.json();
    render(state);
    document.getElementById("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch {
    document.getElementById("updated").textContent = "Cannot reach the server; retrying…";
  }
}

refresh();
setInterval(refresh, 3000);
