// The page's session, shared by both pages (smschannel.pages puts it in their script). Either a link opened with
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
  return { start, socketUrl, signOut, signedIn: () => Boolean(tokens), usesLink: () => Boolean(linkToken) || !auth };
})();
