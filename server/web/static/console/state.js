// Shared state of the console: the page's constants and what several modules read and change.
// Everything mutable that more than one module needs lives on ``state`` (one object, so every
// module sees the same values); the rest stays private to its module.

export const root = document.getElementById("console-root");
export const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
export const me = {
  id: Number(root.dataset.staffId),
  capacity: Number(root.dataset.capacity),
  name: root.dataset.displayName,
};
export const KIND_LABELS = { professional: "Professional", former: "Former extremist", survivor: "Survivor", peer: "Peer" };
export const OUTCOME_LABELS = { talked: "talked", referred: "referred", no_response: "no response", safeguarding: "safeguarding concern", player_ended: "player ended", erased: "player erased the chat", left: "player left" };
export const STORE = window.sessionStorage;

export const conversations = new Map(); // id -> Conversation
export const offers = new Map(); // offer_id -> {frame, node, timer}
export const state = {
  queueItems: [],
  queueReceivedAt: Date.now(),
  activeId: null,
  // The counsellor's own choice survives reloads within one sign-in
  // (welcome.staff.signed_in_at); a new sign-in starts available.
  desiredStatus: null,
  signedInAt: null,
  cannedItems: [],
  lastOfferExpired: false,
  everConnected: false, // a welcome was seen: later drops say "Reconnecting"
  chatCounter: 0, // labels "Chat 1", "Chat 2", ... never reused while the page is open
};
