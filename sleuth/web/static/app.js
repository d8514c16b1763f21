// sleuth page: search as you type, ask with numbered citations. Every piece of user or document text
// goes into the page through textContent (never innerHTML), so it cannot inject markup.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const q = $("q"), results = $("results"), status = $("search-status"), mode = $("mode");
  const overview = $("overview"), searchForm = $("search-form");
  const form = $("ask-form"), question = $("question"), answerBox = $("answer");
  const defaultMode = mode.querySelector("option[selected]") ? mode.value : "";

  function el(tag, props, children) {
    const e = document.createElement(tag);
    if (props) for (const [k, v] of Object.entries(props)) {
      if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children || []) e.append(c);
    return e;
  }

  function docUrl(docId, start, end) {
    let u = "/documents/" + encodeURIComponent(docId);
    if (start !== undefined && end !== undefined && start !== null) u += "?start=" + start + "&end=" + end + "#cited";
    return u;
  }

  // The API counts characters as Python does (code points); JavaScript strings index UTF-16 units,
  // in which a character outside the Basic Multilingual Plane (math letters such as 𝑆) takes two.
  // at[i] is the UTF-16 index of code point i.
  function utf16Offsets(s) {
    const at = [0];
    let u = 0;
    for (const ch of s) { u += ch.length; at.push(u); }
    return at;
  }

  // Split a snippet into text and <mark> nodes at the API's highlight ranges (code points).
  function highlighted(snippet, ranges) {
    const out = [];
    const at = utf16Offsets(snippet);
    let pos = 0;
    for (const [a, b] of ranges || []) {
      if (a < 0 || b >= at.length || at[a] < pos || b < a) continue;
      out.push(document.createTextNode(snippet.slice(pos, at[a])));
      out.push(el("mark", { text: snippet.slice(at[a], at[b]) }));
      pos = at[b];
    }
    out.push(document.createTextNode(snippet.slice(pos)));
    return out;
  }

  // "Karpukhin et al. 2020 · §5 Experiments · p. 6" from a hit's or a citation's paper fields.
  function locator(o) {
    const names = (o.authors || []).map((a) => a.trim().split(/\s+/).pop());
    const who = names.length > 2 ? names[0] + " et al." : names.join(" and ");
    const first = [who, o.year || ""].filter(Boolean).join(" ");
    return [first, o.section ? "§" + o.section : "", o.page ? "p. " + o.page : ""].filter(Boolean).join(" · ");
  }

  function errorText(body, fallback) {
    const e = body && body.error;
    return e ? e.message + (e.fix ? " " + e.fix : "") : fallback;
  }

  // -- search as you type --------------------------------------------------------------------
  let timer = null, seq = 0;
  // The search lives in the address (/?q=...&mode=...), so it can be bookmarked, shared and reloaded.
  function remember(text) {
    const params = new URLSearchParams();
    if (text) params.set("q", text);
    if (text && mode.value !== defaultMode) params.set("mode", mode.value);
    const url = "/" + (params.toString() ? "?" + params.toString() : "");
    if (url !== location.pathname + location.search) history.replaceState(null, "", url);
  }

  async function search() {
    const text = q.value.trim();
    const mine = ++seq;
    remember(text);
    overview.hidden = Boolean(text);
    if (!text) { results.replaceChildren(); status.textContent = ""; return; }
    status.textContent = "Searching…";
    try {
      const r = await fetch("/api/search?k=10&mode=" + encodeURIComponent(mode.value) + "&q=" + encodeURIComponent(text));
      const body = await r.json();
      if (mine !== seq) return;  // a newer query is on its way
      if (!r.ok) { results.replaceChildren(); status.textContent = errorText(body, "Search failed."); return; }
      status.textContent = body.hits.length ? body.hits.length + " results" : "No document matches. Try other or fewer words.";
      results.replaceChildren(...body.hits.map((h) => {
        const p = h.passage;
        const link = el("a", { href: docUrl(h.doc_id, p && p.start, p && p.end), class: "title", text: h.title || h.doc_id });
        return el("li", { class: "hit" }, [
          link, " ", el("span", { class: "doc-id muted", text: h.doc_id }),
          el("p", { class: "where muted small", text: locator(h) }),
          el("p", { class: "snippet" }, highlighted(h.snippet, h.highlights)),
        ]);
      }));
    } catch (err) {
      if (mine === seq) status.textContent = "The server did not answer.";
    }
  }
  q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 150); });
  mode.addEventListener("change", search);
  searchForm.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(timer); search(); });
  if (q.value) search();

  // -- ask ----------------------------------------------------------------------------------
  // Several citations may share a number (one passage, several quoted spans). A marker [n] opens the
  // citation of number n whose quote is in the text just before it; else the k-th citation numbered n
  // for the k-th marker [n]; else the first one.
  function squash(s) { return s.replace(/\s+/g, " ").trim(); }

  // The reader marks the answer inside a quoted sentence as **span**: shown in bold, never as asterisks.
  function appendMarked(parent, s) {
    const pieces = s.split("**");
    if (pieces.length % 2 === 0) { parent.append(document.createTextNode(s)); return; }  // unpaired: as it is
    pieces.forEach((piece, i) => {
      if (piece) parent.append(i % 2 ? el("strong", { class: "span", text: piece }) : document.createTextNode(piece));
    });
  }

  function citationFor(n, before, seen, byN) {
    const all = byN.get(n) || [];
    const k = seen.get(n) || 0;
    seen.set(n, k + 1);
    const near = squash(before);
    return all.find((c) => c.quote && near.includes(squash(c.quote))) || all[k] || all[0];
  }

  function renderAnswer(a) {
    const byN = new Map();
    for (const c of a.citations) byN.set(c.n, [...(byN.get(c.n) || []), c]);
    const seen = new Map();
    const text = el("p", { class: "answer-text" + (a.abstained ? " abstained" : "") });
    let before = "";
    for (const part of a.text.split(/(\[\d+\])/)) {
      const m = /^\[(\d+)\]$/.exec(part);
      const c = m && citationFor(Number(m[1]), before, seen, byN);
      if (c) {
        text.append(el("a", { href: docUrl(c.doc_id, c.start, c.end), class: "cite", title: c.title || c.doc_id, text: part }));
        before = "";
      } else {
        appendMarked(text, part);
        before = m ? "" : part.split("**").join("");
      }
    }
    const list = el("ol", { class: "citations" }, a.citations.map((c) => el("li", { value: String(c.n) }, [
      el("a", { href: docUrl(c.doc_id, c.start, c.end), text: c.title || c.doc_id }),
      " ", el("span", { class: "muted", text: [locator(c), c.doc_id + " · " + c.start + "–" + c.end].filter(Boolean).join(" · ") }),
      el("blockquote", { text: c.quote }),
    ])));
    const meta = el("p", { class: "muted small", text: a.from_memory ? "from memory" : a.reader });
    answerBox.replaceChildren(text, list, meta);
  }

  let source = null;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = question.value.trim();
    if (!text) return;
    if (source) source.close();
    const live = el("p", { class: "answer-text pending", text: "Thinking…" });
    answerBox.replaceChildren(live);
    let tokens = "";
    source = new EventSource("/api/ask/stream?q=" + encodeURIComponent(text));
    source.addEventListener("token", (e) => { tokens += JSON.parse(e.data).text; live.textContent = tokens; });
    source.addEventListener("answer", (e) => { source.close(); renderAnswer(JSON.parse(e.data)); });
    source.addEventListener("error", (e) => {
      source.close();
      let msg = "The server did not answer.";
      if (e.data) { try { msg = errorText(JSON.parse(e.data), msg); } catch (_) { /* keep the default */ } }
      answerBox.replaceChildren(el("p", { class: "error", text: msg }));
    });
  });

  // -- keyboard -----------------------------------------------------------------------------
  document.addEventListener("keydown", (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement && document.activeElement.tagName);
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); q.focus(); q.select(); }
    if (e.key === "Escape" && document.activeElement === q) { q.value = ""; search(); }
  });
})();
