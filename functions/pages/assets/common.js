// The pages' one shared module (loaded by /agent, /dashboard and /reports before their own script; smschannel.pages
// puts its text in the page it serves): the page's configuration, its session (sign-in), the live connection with its reconnects, and the small
// helpers every page uses. Plain script, no build step; its names are globals the page's own script uses.
"use strict";
// smschannel.pages injects the page's JSON configuration (WebSocket URL, role, sign-in endpoints) in #config.
const CONFIG = JSON.parse((document.getElementById("config") || {}).textContent || "{}");
const $ = (id) => document.getElementById(id);
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
// Seconds since an ISO time (null without one); a duration as m:ss or h:mm:ss; a time of day.
function since(stamp) { return stamp ? Math.max(0, (Date.now() - Date.parse(stamp)) / 1000) : null; }
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  seconds = Math.floor(seconds);
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}` : `${m}:${String(s).padStart(2, "0")}`;
}
function clockOf(stamp, seconds = false) {
  return stamp ? new Date(stamp).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", ...(seconds ? {second: "2-digit"} : {})}) : "";
}
// A short message at the bottom of the page (#toast, made on first use).
function toast(text) {
  let node = $("toast");
  if (!node) { node = document.createElement("div"); node.id = "toast"; node.className = "toast"; document.body.appendChild(node); }
  node.textContent = text; node.classList.add("show");
  clearTimeout(toast.timer); toast.timer = setTimeout(() => node.classList.remove("show"), 3500);
}

// --- SMS encoding and segments: exactly the server's rule (smschannel.segments, POST /admin/messages/preview) ----
// GSM-7 (160 alone, 153 per part; the extension table costs two) else UCS-2 (70 / 67 UTF-16 code units, so most
// emoji cost two); a two-unit character is never split across parts.
const GSM7_BASIC = new Set(Array.from("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"));
const GSM7_EXTENDED = new Set(Array.from("^{}\\[~]|€\f"));
function measureSms(body) {
  const chars = Array.from(body);
  const gsm = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENDED.has(c));
  const encoding = gsm ? "GSM-7" : "UCS-2";
  const costs = chars.map((c) => (gsm ? (GSM7_EXTENDED.has(c) ? 2 : 1) : (c.codePointAt(0) > 0xFFFF ? 2 : 1)));
  const total = costs.reduce((sum, cost) => sum + cost, 0);
  const single = gsm ? 160 : 70, part = gsm ? 153 : 67;
  if (total <= single) return { encoding, segments: chars.length ? 1 : 0, characters: chars.length, remaining: single - total };
  let segments = 1, used = 0;
  for (const cost of costs) {
    if (used + cost > part) { segments += 1; used = 0; }
    used += cost;
  }
  return { encoding, segments, characters: chars.length, remaining: part - used };
}

// The session: either a link opened with
// ?token= (POST /admin/tokens), or a Cognito sign-in: the hosted sign-in page with authorization code + PKCE, the
// tokens kept in this script's memory only (never in the URL or localStorage; the PKCE verifier alone waits in
// sessionStorage across the redirect), refreshed before they expire; the WebSocket opens with a single-use ticket.
const Session = (() => {
  const auth = CONFIG.auth || null;
  const linkToken = new URLSearchParams(location.search).get("token") || "";
  let tokens = null, refreshTimer = null;
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

  async function signIn() {
    const verifier = random(48), state = random(16);
    const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    sessionStorage.setItem("sms-pkce", JSON.stringify({ verifier, state }));
    const query = new URLSearchParams({ response_type: "code", client_id: auth.clientId, redirect_uri: auth.redirectUri,
      scope: "openid", state, code_challenge: challenge, code_challenge_method: "S256" });
    location.assign(`${auth.authorizeUrl}?${query}`);
    return new Promise(() => {});  // the page is leaving
  }
  async function tokenRequest(fields) {
    const response = await fetch(auth.tokenUrl, { method: "POST", body: new URLSearchParams({ client_id: auth.clientId, ...fields }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    if (!response.ok) throw new Error(`sign-in refused (${response.status})`);
    const answer = await response.json();
    tokens = { access: answer.access_token, refresh: answer.refresh_token || (tokens && tokens.refresh),
      expiresAt: Date.now() + 1000 * (answer.expires_in || 900) };
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, Math.max(5000, tokens.expiresAt - Date.now() - 60000));
  }
  async function refresh() {
    try { await tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh }); }
    catch (error) { await signIn(); }
  }
  // Resolves once the page may connect: a link token, or signed in (after the hosted page sent us back with a code).
  async function start() {
    if (linkToken || !auth) return;
    const params = new URLSearchParams(location.search);
    if (!params.get("code")) return signIn();
    const saved = JSON.parse(sessionStorage.getItem("sms-pkce") || "{}");
    sessionStorage.removeItem("sms-pkce");
    history.replaceState(null, "", location.pathname);  // no code left in the URL or the history
    if (!saved.verifier || saved.state !== params.get("state")) return signIn();
    await tokenRequest({ grant_type: "authorization_code", code: params.get("code"), redirect_uri: auth.redirectUri,
      code_verifier: saved.verifier });
  }
  // The URL of the next WebSocket connection (a fresh ticket each time: one ticket opens one connection).
  async function socketUrl() {
    if (linkToken || !auth) return `${CONFIG.websocketUrl}?token=${encodeURIComponent(linkToken)}`;
    if (tokens.expiresAt - Date.now() < 30000) await refresh();
    let response = await fetch(auth.ticketUrl, { method: "POST", headers: { Authorization: `Bearer ${tokens.access}` } });
    if (response.status === 401) {
      await refresh();
      response = await fetch(auth.ticketUrl, { method: "POST", headers: { Authorization: `Bearer ${tokens.access}` } });
    }
    if (!response.ok) throw new Error((await response.json().catch(() => ({}))).message || `no ticket (${response.status})`);
    const ticket = await response.json();
    if (CONFIG.role && ticket.role !== CONFIG.role) throw new Error(`This page is for ${CONFIG.role}s; you are signed in as ${ticket.role}.`);
    return `${CONFIG.websocketUrl}?ticket=${encodeURIComponent(ticket.ticket)}`;
  }
  function signOut() {
    tokens = null; clearTimeout(refreshTimer);
    if (!auth) return;
    const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: auth.redirectUri });
    location.assign(`${auth.logoutUrl}?${query}`);
  }
  // --- the admin API as the signed-in user (the reports page): its access token, refreshed when about to expire or
  // when the API answered 401 (`fresh`); and the API's base URL (the pages' own).
  async function accessToken(fresh = false) {
    if (!tokens) throw new Error("not signed in");
    if (fresh || tokens.expiresAt - Date.now() < 30000) await refresh();
    return tokens.access;
  }
  const apiUrl = () => (auth && auth.apiUrl) || "";
  return { start, socketUrl, signOut, signedIn: () => Boolean(tokens), usesLink: () => Boolean(linkToken) || !auth,
    accessToken, apiUrl };
})();

// --- the live connection: subscribe on open, frames to the page, reconnect with backoff (a new ticket each time) --
// The page's #conn / #conn-text show its state, and body[data-conn] lets tests wait for it.
const Live = (() => {
  let socket = null, retry = 0, options = null;
  function show(status, text) {
    const conn = $("conn"), label = $("conn-text");
    if (conn) conn.dataset.state = status;
    if (label) label.textContent = text;
    document.body.dataset.conn = status;
  }
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }
  async function open() {
    show("connecting", retry ? `reconnecting (${retry})` : "connecting");
    let url;
    try { url = await Session.socketUrl(); } catch (error) { show("down", error.message); return; }
    socket = new WebSocket(url);
    socket.onopen = () => { retry = 0; show("live", "live"); send({ action: "subscribe", topic: options.topic }); };
    socket.onmessage = (event) => options.onFrame(JSON.parse(event.data));
    socket.onclose = () => {
      show("down", "offline – reconnecting");
      retry += 1;
      setTimeout(open, Math.min(8000, 300 * 2 ** Math.min(retry, 5)));
    };
  }
  // Signs in (or takes the link's token), then connects; the page's #signout button signs out.
  function start(topic, onFrame) {
    options = { topic, onFrame };
    const signout = $("signout");
    if (signout) { signout.hidden = Session.usesLink(); signout.addEventListener("click", () => Session.signOut()); }
    Session.start().then(open, (error) => show("down", error.message));
  }
  return { start, send, drop: () => socket && socket.close() };
})();
window.dropConnection = Live.drop;  // for tests: a dropped connection must recover

// --- the transfer dialog (#transfer-dialog, #transfer-form, #transfer-target, #transfer-note, #transfer-cancel) ---
// To a ready agent with room (the others listed, disabled) or to a queue, with an optional note: the desk transfers
// its own conversation, the dashboard the one it has open. `interactionId()` names what is transferred (or null),
// `holder()` the agent who has it now (not a target).
function transferDialog(interactionId, holder) {
  function open() {
    if (!interactionId()) return;
    Live.send({ action: "getTargets" });
    $("transfer-note").value = "";
    $("transfer-dialog").showModal();
  }
  function onTargets(frame) {
    const agents = frame.agents.filter((a) => a.id !== holder()).map((a) => {
      const free = a.status === "ready" && a.load < a.capacity;
      return `<option value="agent:${esc(a.id)}" ${free ? "" : "disabled"}>${esc(a.name || a.id)} · ${esc(a.status)} ${a.load}/${a.capacity}</option>`;
    });
    const queues = frame.queues.map((q) => `<option value="queue:${esc(q.id)}">Queue ${esc(q.name || q.id)}</option>`);
    $("transfer-target").innerHTML = `<optgroup label="Agents">${agents.join("")}</optgroup><optgroup label="Queues">${queues.join("")}</optgroup>`;
    const first = $("transfer-target").querySelector("option:not([disabled])");
    if (first) $("transfer-target").value = first.value;
  }
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const [kind, id] = $("transfer-target").value.split(/:(.*)/s), interaction = interactionId();
    if (!id || !interaction) return;
    const note = $("transfer-note").value.trim();
    Live.send({ action: "transfer", interactionId: interaction, [kind === "agent" ? "agentId" : "queueId"]: id, ...(note ? { note } : {}) });
    $("transfer-dialog").close();
  });
  return { open, onTargets };
}
