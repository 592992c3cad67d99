// The operator's page: reads the admin API with the token kept in this tab, and renders every
// value as text (an ERP's document ids and reasons are data, never markup).
"use strict";

const tokenKey = "fieldbridge.admin_token";
const refreshMs = 5000;
let timer = null;

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function $(id) { return document.getElementById(id); }

async function api(path, options) {
  const token = sessionStorage.getItem(tokenKey);
  const init = Object.assign({ headers: {} }, options || {});
  init.headers.Authorization = "Bearer " + token;
  const res = await fetch("../api/" + path, init);
  let body = null;
  try { body = await res.json(); } catch (_) { /* not JSON: reported below */ }
  if (res.status === 401 || res.status === 403) {
    signOut((body && body.error) || "the admin token was refused");
    throw new Error("unauthorised");
  }
  if (!res.ok) throw new Error((body && body.error) || ("HTTP " + res.status));
  return body;
}

function age(ms, now) {
  if (ms === null || ms === undefined) return "";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return s + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  return Math.round(s / 3600) + " h";
}

function counts(obj) {
  return Object.entries(obj).filter(([, n]) => n > 0).map(([k, n]) => k + " " + n).join(", ") || "—";
}

function renderReadiness(r) {
  const badge = $("readiness");
  badge.textContent = r.status;
  badge.className = "badge " + r.status;
  const problems = [];
  for (const [name, c] of Object.entries(r.checks || {})) if (!c.ok) problems.push(name + ": " + c.detail);
  for (const [flow, s] of Object.entries(r.sources || {})) if (s !== "ok") problems.push(flow + ": " + s);
  $("readiness-detail").textContent = problems.join(" · ");
}

function renderFlows(data) {
  const body = $("flows").tBodies[0];
  body.replaceChildren();
  const select = $("find-flow");
  const chosen = select.value;
  select.replaceChildren();
  for (const f of data.flows) {
    const health = (data.readiness.sources || {})[f.name];
    const wb = f.writebacks;
    body.append(el("tr", { "data-flow": f.name },
      el("td", {}, f.name),
      el("td", {}, f.source, health && health !== "ok" ? el("div", { class: "error" }, health) : null),
      el("td", { class: "num" }, (f.documents.open || 0) + " / " + (f.documents.cancelled || 0)),
      el("td", { class: "num" }, f.unpublished_events),
      el("td", {}, counts(f.work_orders)),
      el("td", { class: "num" + (f.conflicts ? " bad" : "") }, f.conflicts),
      el("td", { class: "num" + (wb.dead ? " bad" : "") }, f.writeback === null ? "no writeback" :
        wb.pending + (wb.pending ? " (" + age(wb.oldest_pending_ms, data.now_ms) + ")" : "") + " / " + wb.dead),
      el("td", { class: "num" + (f.dead_letters.open ? " bad" : "") }, f.dead_letters.open),
      pauseCell(f)));
    select.append(el("option", { value: f.name }, f.name));
  }
  if (chosen) select.value = chosen;
}

// A paused flow says what is held, since when and why; one button pauses or resumes both parts.
function pauseCell(f) {
  const p = f.paused;
  const held = p ? [p.intake ? "intake" : null, p.writeback ? "writeback" : null].filter(Boolean).join(" + ") : "";
  const button = el("button", { type: "button", class: "pause" }, p ? "Resume" : "Pause");
  button.addEventListener("click", () => changePause(f.name, !p));
  return el("td", { class: p ? "held" : "" },
    p ? el("div", {}, held + " since " + p.since + (p.reason ? ": " + p.reason : "")) : null, button);
}

async function changePause(flow, on) {
  let reason = "";
  if (on) {
    reason = window.prompt("Pause flow " + flow + " (intake and writeback). Reason, for the others on call:", "");
    if (reason === null) return;
  }
  try {
    await api("flows/" + encodeURIComponent(flow) + (on ? "/pause" : "/resume"),
      { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(on ? { reason } : {}) });
  } catch (err) {
    $("status").textContent = (on ? "pause" : "resume") + " failed: " + err.message;
  }
  await refresh();
}

function renderDeadLetters(data) {
  const body = $("dead-letters").tBodies[0];
  body.replaceChildren();
  for (const e of data.entries) {
    const box = el("input", { type: "checkbox", value: String(e.id) });
    box.disabled = e.replayed_at !== null;
    box.addEventListener("change", updateReplayButton);
    const doc = e.document_id ? el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); showTrace(e.flow, e.document_id); } }, e.document_id) : "(no id)";
    body.append(el("tr", { "data-id": String(e.id) },
      el("td", {}, box), el("td", {}, e.id), el("td", {}, e.flow), el("td", {}, e.stage),
      el("td", {}, doc), el("td", { class: "reason" }, e.reason), el("td", {}, e.created_at),
      el("td", {}, e.arrivals + (e.last_seen_at ? " (" + e.last_seen_at + ")" : "")),
      el("td", {}, e.replayed_at || "")));
  }
  updateReplayButton();
}

function updateReplayButton() {
  $("replay").disabled = !document.querySelector("#dead-letters tbody input:checked");
}

function list(title, items, line) {
  const box = el("div", {}, el("h3", {}, title + " (" + items.length + ")"));
  if (items.length) box.append(el("ol", {}, ...items.map((i) => el("li", {}, line(i)))));
  return box;
}

async function showTrace(flow, id) {
  $("find-flow").value = flow;
  $("find-id").value = id;
  const out = $("trace");
  out.replaceChildren(el("p", {}, "reading…"));
  let t;
  try {
    t = await api("trace/" + encodeURIComponent(flow) + "/" + encodeURIComponent(id));
  } catch (err) {
    out.replaceChildren(el("p", { class: "error" }, String(err.message)));
    return;
  }
  const parts = [];
  if (!t.ledger && !(t.dead_letters || []).length) {
    parts.push(el("p", { class: "error" }, "fieldbridge has never seen document " + id + " in flow " + flow + "."));
  } else if (t.ledger) {
    const l = t.ledger;
    parts.push(el("p", { id: "trace-summary" }, "Document " + t.document_id + " version " + l.version + ", " + l.state +
      ", work order " + l.work_order_id + "; first seen " + l.first_seen_at + ", last change " + l.updated_at +
      (l.stale_arrivals && l.stale_arrivals.count ? "; " + l.stale_arrivals.count + " stale arrival(s)" : "") + "."));
  }
  if (t.work_order) {
    const w = t.work_order;
    parts.push(el("p", { id: "trace-state" }, "Work order state: " + w.state + " (ERP: " + w.erp_state + ")" +
      (w.conflict ? " — conflict: " + w.conflict : "") + (t.final_state ? "; final: " + t.final_state : "")));
  }
  parts.push(list("Events on Kafka", t.events || [], (e) => e.type + " " + e.event_id + " — " +
    (e.published ? "acknowledged, partition " + e.partition + " offset " + e.offset : "not yet acknowledged")));
  parts.push(list("Status history", t.status_history || [], (s) => s.occurred_at + " " + s.status + ": " + s.outcome +
    (s.from ? " (" + s.from + " → " + s.to + ")" : "") + (s.reason ? " — " + s.reason : "")));
  parts.push(list("Writebacks", t.writebacks || [], (w) => el("span", {}, w.transition + ": " + w.state +
    ", " + w.attempt_count + " attempt(s)" + (w.last_error ? " — " + w.last_error : ""),
    el("ol", {}, ...(w.attempts || []).map((a) => el("li", {}, a.at + " " + (a.step ? "[" + a.step + "] " : "") + a.request +
      " → " + a.result + (a.http_status !== null ? " (HTTP " + a.http_status + ")" : "") +
      (a.reason ? " — " + a.reason : a.answer ? ": " + a.answer : "")))))));
  parts.push(list("Dead letters", t.dead_letters || [], (d) => "#" + d.dead_letter_id + " " + d.stage + ": " + d.reason +
    (d.replayed_at ? " (replayed " + d.replayed_at + ")" : "")));
  const raw = el("details", {}, el("summary", {}, "the whole trace (JSON)"), el("pre", {}, JSON.stringify(t, null, 2)));
  parts.push(raw);
  out.replaceChildren(...parts);
}

let generation = 0;  // a slow answer of an older refresh never paints over a newer one

async function refresh() {
  const mine = ++generation;
  try {
    const overview = await api("overview");
    if (mine !== generation) return;
    $("version").textContent = "v" + overview.version;
    renderReadiness(overview.readiness);
    renderFlows(overview);
    const checked = new Set([...document.querySelectorAll("#dead-letters tbody input:checked")].map((b) => b.value));
    const deadLetters = await api("dead-letter" + ($("show-replayed").checked ? "?all=1" : ""));
    if (mine !== generation) return;
    renderDeadLetters(deadLetters);
    for (const b of document.querySelectorAll("#dead-letters tbody input")) if (checked.has(b.value)) b.checked = true;
    updateReplayButton();
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) {
    if (err.message !== "unauthorised") $("status").textContent = "could not read the daemon: " + err.message;
  }
}

async function replaySelected() {
  const ids = [...document.querySelectorAll("#dead-letters tbody input:checked")].map((b) => Number(b.value));
  $("replay").disabled = true;
  try {
    const r = await api("dead-letter/replay", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ids }) });
    $("replay-result").textContent = r.lines.join("\n") + "\n" + r.replayed + " replayed, " + r.still_failing + " still failing";
  } catch (err) {
    $("replay-result").textContent = "replay failed: " + err.message;
  }
  await refresh();
}

function signOut(reason) {
  sessionStorage.removeItem(tokenKey);
  if (timer) clearInterval(timer);
  timer = null;
  $("main").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = reason || "";
}

function signIn() {
  $("sign-in").hidden = true;
  $("main").hidden = false;
  $("sign-out").hidden = false;
  refresh();
  timer = setInterval(() => { if (!document.hidden) refresh(); }, refreshMs);
}

document.addEventListener("DOMContentLoaded", () => {
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(tokenKey, $("token").value);
    $("token").value = "";
    signIn();
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("find-form").addEventListener("submit", (ev) => { ev.preventDefault(); showTrace($("find-flow").value, $("find-id").value.trim()); });
  $("replay").addEventListener("click", replaySelected);
  $("show-replayed").addEventListener("change", refresh);
  if (sessionStorage.getItem(tokenKey)) signIn(); else signOut("");
});
