// sleuth page: search as you type, ask with numbered citations. Every piece of user or document text
// goes into the page through textContent (never innerHTML), so it cannot inject markup.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const q = $("q"), results = $("results"), status = $("search-status");
  const form = $("ask-form"), question = $("question"), answerBox = $("answer");

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

  // Split a snippet into text and <mark> nodes at the API's highlight ranges.
  function highlighted(snippet, ranges) {
    const out = [];
    let pos = 0;
    for (const [a, b] of ranges || []) {
      if (a < pos || b > snippet.length) continue;
      out.push(document.createTextNode(snippet.slice(pos, a)));
      out.push(el("mark", { text: snippet.slice(a, b) }));
      pos = b;
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
  async function search() {
    const text = q.value.trim();
    const mine = ++seq;
    if (!text) { results.replaceChildren(); status.textContent = ""; return; }
    status.textContent = "Searching…";
    try {
      const r = await fetch("/api/search?k=10&q=" + encodeURIComponent(text));
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
  if (q.value) search();

  // -- ask ----------------------------------------------------------------------------------
  function renderAnswer(a) {
    const byN = new Map(a.citations.map((c) => [c.n, c]));
    const text = el("p", { class: "answer-text" + (a.abstained ? " abstained" : "") });
    for (const part of a.text.split(/(\[\d+\])/)) {
      const m = /^\[(\d+)\]$/.exec(part);
      const c = m && byN.get(Number(m[1]));
      if (c) text.append(el("a", { href: docUrl(c.doc_id, c.start, c.end), class: "cite", title: c.title || c.doc_id, text: part }));
      else text.append(document.createTextNode(part));
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
