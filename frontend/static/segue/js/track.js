// Track page: waveform with coloured sections, the highlight and a playhead; a selected passage searched for in the
// catalog ("find similar"); context tags with the user's labels, similar tracks.
import { api } from "./api.js";
import { $, esc, mmss, sectionColor } from "./dom.js";

const id = $("track").dataset.track;
let track = null;
let selection = null; // [start, end] seconds, dragged on the waveform

function draw() {
  const canvas = $("waveform");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, band = 18;
  ctx.clearRect(0, 0, w, h);
  if (!track || !track.duration) return;
  const x = (t) => (t / track.duration) * w;
  for (const s of track.sections) {
    ctx.fillStyle = sectionColor(s.label);
    ctx.fillRect(x(s.start), h - band, Math.max(1, x(s.end) - x(s.start) - 1), band);
    ctx.fillStyle = "#fff";
    ctx.font = "11px sans-serif";
    ctx.fillText(s.label, x(s.start) + 3, h - 5);
  }
  ctx.fillStyle = "#94a3b8";
  const peaks = track.waveform, mid = (h - band) / 2;
  peaks.forEach((p, i) => {
    const px = (i / peaks.length) * w;
    ctx.fillRect(px, mid - p * mid, Math.max(1, w / peaks.length - 0.5), 2 * p * mid);
  });
  ctx.fillStyle = "rgba(15,23,42,.35)";
  for (const d of track.downbeats) ctx.fillRect(x(d), h - band - 4, 1, 4);
  if (track.highlight_start != null) { // the best moment: where a preview starts
    ctx.fillStyle = "rgba(245,158,11,.18)";
    ctx.fillRect(x(track.highlight_start), 0, x(track.highlight_end) - x(track.highlight_start), h - band);
    ctx.fillStyle = "#b45309";
    ctx.font = "11px sans-serif";
    ctx.fillText("highlight", x(track.highlight_start) + 3, 12);
  }
  if (selection) {
    ctx.fillStyle = "rgba(79,70,229,.25)";
    ctx.fillRect(x(selection[0]), 0, x(selection[1]) - x(selection[0]), h - band);
  }
  const now = $("player").currentTime;
  ctx.fillStyle = "#f59e0b";
  ctx.fillRect(x(now), 0, 2, h);
}

function renderTags() {
  const mine = new Set(track.tags.filter((t) => t.source === "user").map((t) => t.tag));
  $("tags").innerHTML = track.tags.map((t) => `
    <li data-tag="${t.tag}"><span class="chip ${t.source === "user" ? "user" : ""}">${t.tag}</span>
      <div class="bar"><div style="width:${Math.round(t.probability * 100)}%"></div></div>
      <span class="src">${t.source}</span>
      ${t.probability >= 0.5 || mine.has(t.tag)
        ? `<button type="button" class="neutral" data-act="DELETE">remove</button>`
        : `<button type="button" class="neutral" data-act="POST">add</button>`}
    </li>`).join("");
  $("tags").querySelectorAll("button").forEach((b) => b.addEventListener("click", async () => {
    const tag = b.closest("li").dataset.tag;
    const method = b.dataset.act;
    const url = method === "POST" ? `/api/tracks/${id}/tags/` : `/api/tracks/${id}/tags/?tag=${tag}`;
    const updated = await api(url, { method, body: method === "POST" ? { tag } : undefined });
    track.tags = updated.tags;
    renderTags();
  }));
}

async function renderSimilar() {
  try {
    const hits = await api(`/api/tracks/${id}/similar/?k=10`);
    $("similar").innerHTML = hits.map((h) => `<li><a href="/catalog/${h.track.id}/">${esc(h.track.title)}</a>
      <span class="status">${h.score.toFixed(2)} · ${h.track.tempo ? h.track.tempo.toFixed(0) + " BPM" : ""}</span></li>`).join("");
  } catch (err) {
    $("similar").innerHTML = `<li class="status">${esc(err.message)}</li>`;
  }
}

async function load() {
  track = await api(`/api/tracks/${id}/`);
  $("facts").textContent = track.state === "ready"
    ? `${track.tempo.toFixed(1)} BPM · ${track.key} ${track.mode} · ${track.sections.length} sections · ${track.duration.toFixed(0)} s`
    : track.state === "failed" ? `failed: ${track.error}` : `${track.state}…`;
  $("legend").innerHTML = [...new Set(track.sections.map((s) => s.label))]
    .map((l) => `<span style="background:${sectionColor(l)}">${l}</span>`).join("");
  $("progress-slot").innerHTML = "";
  if (track.state !== "ready" && track.state !== "failed") {
    if (track.job) {
      const p = document.createElement("job-progress");
      p.setAttribute("job-id", track.job);
      p.addEventListener("job-finished", () => setTimeout(load, 500), { once: true });
      $("progress-slot").appendChild(p);
    } else {
      setTimeout(load, 2000); // someone else's (e.g. the shared catalog's) job: poll the track itself
    }
  }
  if (location.hash.startsWith("#t=") && !load.seeked) { // from a search hit: start where it matched
    load.seeked = true;
    $("player").currentTime = Number(location.hash.slice(3)) || 0;
  }
  draw();
  renderTags();
  if (track.state === "ready") renderSimilar();
}

// Click: play from there. Drag: select a passage (at least 3 s) to search for in the catalog.
const at = (e) => {
  const r = $("waveform").getBoundingClientRect();
  return Math.min(track.duration, Math.max(0, ((e.clientX - r.left) / r.width) * track.duration));
};
let dragFrom = null;
$("waveform").addEventListener("mousedown", (e) => { if (track && track.duration) dragFrom = at(e); });
$("waveform").addEventListener("mousemove", (e) => {
  if (dragFrom == null) return;
  const t = at(e);
  selection = [Math.min(dragFrom, t), Math.max(dragFrom, t)];
  draw();
});
$("waveform").addEventListener("mouseup", (e) => {
  if (dragFrom == null) return;
  const t = at(e), from = dragFrom;
  dragFrom = null;
  if (Math.abs(t - from) < track.duration / 200) { // a click
    selection = null;
    $("player").currentTime = t;
  } else {
    selection = [Math.min(from, t), Math.max(from, t)];
  }
  const ok = selection && selection[1] - selection[0] >= 3 && track.state === "ready";
  $("find-similar").disabled = !ok;
  $("selection").textContent = selection ? `${mmss(selection[0])}–${mmss(selection[1])}${ok ? "" : " (3 s or more)"}` : "";
  draw();
});

$("find-similar").addEventListener("click", async () => {
  if (!selection) return;
  const list = $("similar-sections");
  list.innerHTML = `<li class="status">searching…</li>`;
  try {
    const body = { track: Number(id), start: +selection[0].toFixed(2), seconds: +Math.min(60, selection[1] - selection[0]).toFixed(2) };
    const hits = await api("/api/search/sections/", { method: "POST", body });
    list.innerHTML = hits.map((h) => `<li><a href="/catalog/${h.track.id}/">${esc(h.track.title)}</a>
      <span class="status">${mmss(h.start)}–${mmss(h.end)}${h.section ? ` · section ${esc(h.section.label)}` : ""} · ${h.score.toFixed(2)}</span></li>`)
      .join("") || `<li class="status">Nothing similar among the tracks you can see.</li>`;
  } catch (err) {
    list.innerHTML = `<li class="error">${esc(err.message)}</li>`;
  }
});
$("player").addEventListener("timeupdate", draw);
load();
