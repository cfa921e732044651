// Catalog page: drag-and-drop upload with progress, filters and a brief in words, the track list with a player,
// and a search by an outside reference excerpt.
import { api, upload } from "./api.js";
import { $, bindDropZone, esc, mmss, sectionColor } from "./dom.js";

const timeline = (t) => !t.duration ? "" : `<div class="mini-timeline" title="sections">${t.sections.map((s) =>
  `<span style="left:${(100 * s.start) / t.duration}%;width:${(100 * (s.end - s.start)) / t.duration}%;` +
  `background:${sectionColor(s.label)}"></span>`).join("")}</div>`;

// With a brief: the track's fit and which words matched which traits ("slow → tempo ≤ 90 (72 BPM)").
const why = (t) => !t.brief ? "" : `<div class="hint brief" title="fit to the brief">${(100 * t.brief.score).toFixed(0)}% · ` +
  `${esc(t.brief.summary) || "no word of the brief is something Segue measures"}` +
  `${t.brief.ignored.length ? ` · not understood: ${esc(t.brief.ignored.join(", "))}` : ""}</div>`;

// An outside reference: the catalog passages that sound most like it (the file is analysed in memory, not kept).
function renderHits(list, hits) {
  list.innerHTML = hits.map((h) => `<li><a href="/catalog/${h.track.id}/#t=${h.start}">${esc(h.track.title)}</a>
    <span class="status">${mmss(h.start)}–${mmss(h.end)}${h.section ? ` · section ${esc(h.section.label)}` : ""} · ${h.score.toFixed(2)}</span>
    <button type="button" class="neutral play-at" data-src="${h.track.audio_url}" data-start="${h.start}">▶</button></li>`).join("") ||
    `<li class="status">Nothing similar among the tracks you can see.</li>`;
  list.querySelectorAll("button.play-at").forEach((b) => b.addEventListener("click", () => {
    const player = $("player");
    player.src = b.dataset.src;
    player.addEventListener("loadedmetadata", () => { player.currentTime = Number(b.dataset.start); player.play(); }, { once: true });
  }));
}

$("reference").addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = $("reference-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  $("reference-hits").innerHTML = `<li class="status">analysing ${esc(file.name)}…</li>`;
  try {
    renderHits($("reference-hits"), await upload("/api/search/sections/", form, () => {}));
  } catch (err) {
    const detail = err.body && (err.body.file || err.body.detail || err.body.non_field_errors);
    $("reference-hits").innerHTML = `<li class="error">${esc(Array.isArray(detail) ? detail.join(" ") : detail || err.message)}</li>`;
  }
});

async function sendFile(file) {
  const li = document.createElement("li");
  li.innerHTML = `<span class="kind">${esc(file.name)}</span><div class="progress"><div class="bar"></div></div><span class="status">uploading…</span>`;
  $("uploads").prepend(li);
  const form = new FormData();
  form.append("file", file);
  try {
    const track = await upload("/api/tracks/", form, (f) => (li.querySelector(".bar").style.width = `${Math.round(f * 100)}%`));
    li.innerHTML = `<a class="kind" href="/catalog/${track.id}/">${esc(track.title)}</a><job-progress job-id="${track.job}"></job-progress>`;
    li.addEventListener("job-finished", () => load());
    load();
  } catch (err) {
    const detail = err.body && (err.body.file || err.body.detail);
    li.querySelector(".status").textContent = `failed: ${Array.isArray(detail) ? detail.join(" ") : detail || err.message}`;
    li.querySelector(".progress").dataset.state = "failed";
  }
}

let page = 1;
async function load() {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData($("filters"))) if (v) params.set(k, v);
  params.set("page", page);
  let data;
  try {
    data = await api(`/api/tracks/?${params}`);
  } catch (err) {
    $("track-rows").innerHTML = `<tr><td colspan="8" class="error">${esc(err.message)}</td></tr>`;
    return;
  }
  $("track-rows").innerHTML = data.results.map((t) => `
    <tr data-track="${t.id}">
      <td><button type="button" class="neutral play" data-src="${t.audio_url}">▶</button></td>
      <td><a href="/catalog/${t.id}/">${esc(t.title)}</a>${timeline(t)}${why(t)}</td><td>${esc(t.artist)}</td>
      <td>${t.tempo ? t.tempo.toFixed(0) : ""}</td><td>${t.key ? `${t.key} ${t.mode}` : ""}</td><td>${mmss(t.duration)}</td>
      <td>${t.tags.filter((g) => g.probability >= 0.5).slice(0, 3).map((g) => `<span class="chip ${g.source}">${g.tag}</span>`).join("")}</td>
      <td class="state-${t.state}">${t.state === "ready" ? `<a href="/catalog/${t.id}/#similar">more like this</a>` : t.state}</td>
    </tr>`).join("") || `<tr><td colspan="8">No tracks match.</td></tr>`;
  $("pager").innerHTML = `${data.count} tracks ` +
    (data.previous ? `<button type="button" id="prev" class="neutral">‹ prev</button>` : "") +
    (data.next ? `<button type="button" id="next" class="neutral">next ›</button>` : "");
  $("prev")?.addEventListener("click", () => { page -= 1; load(); });
  $("next")?.addEventListener("click", () => { page += 1; load(); });
  document.querySelectorAll("button.play").forEach((b) => b.addEventListener("click", () => {
    const player = $("player");
    if (player.dataset.src === b.dataset.src && !player.paused) { player.pause(); return; }
    const track = Number(b.closest("tr").dataset.track);
    listened(track);
    player.src = b.dataset.src;
    player.dataset.src = b.dataset.src;
    player.play();
  }));
}

// Listening feedback for contexts: a play when a track starts; a skip when another one replaces it within 30 s.
let current = null;
function listened(track) {
  const send = (t, action) => api("/api/listens/", { method: "POST", body: { track: t, action } }).catch(() => {});
  if (current && current.track !== track && $("player").currentTime < 30 && !$("player").ended) send(current.track, "skip");
  current = { track };
  send(track, "play");
}

bindDropZone($("dropzone"), $("file"), sendFile);
let typing = null;  // a brief is ranked once typing pauses
$("filters").addEventListener("input", (e) => {
  clearTimeout(typing);
  typing = setTimeout(() => { page = 1; load(); }, e.target.name === "prompt" ? 400 : 0);
});
load();
