// Results page: analysis progress, recommendations, synced playback from the offset, a timeline with
// shots / music sections / the alignment between them, previews and editor markers. "Fit to length" renders the
// track re-arranged along its bars to the video's length; its plan (pieces, joins, anchor) is drawn on the timeline
// and drives the in-browser playback. The anchor (the hit: this moment of the music at this second of the video) is
// a marker a person drags along the timeline (pointer events; arrow keys when the timeline has focus): on release
// the edit is planned again around it, and the preview is rendered with it. "Fitted versions" asks the ranking to fit
// every candidate to the video's length and score the edit (`?fit=length`); a chosen fitted result plays its plan.
import { api } from "./api.js";
import { $, esc, lineChart, sectionColor, setProgress } from "./dom.js";

const id = $("video-page").dataset.video;
let video = null;
let chosen = null; // { rec, track (detail) }
let fitted = null; // the fitted preview of the chosen track, with its plan
let anchor = null; // [music s, video s] asked for by dragging the anchor marker
let drag = null; // { music, at } while the anchor marker is dragged
const HANDLE = 8; // px either side of the anchor marker that grab it

async function pollVideo() {
  video = await api(`/api/videos/${id}/`);
  setProgress($("analysis-progress"), video.progress.percent, video.state === "ready" ? "done" : video.state);
  $("analysis-status").textContent = video.state === "failed"
    ? `failed: ${video.error}` : `${video.state} ${video.progress.percent}% ${video.progress.message || ""}`;
  $("facts").textContent = [video.duration && `${video.duration.toFixed(1)} s`, video.width && `${video.width}×${video.height}`,
    video.shots.length && `${video.shots.length} shots`].filter(Boolean).join(" · ");
  if (video.state === "failed") return addRetry();
  if (video.state !== "ready") return setTimeout(pollVideo, 700);
  const tags = Object.entries(video.tags).slice(0, 3).map(([t, p]) => `${t} ${p.toFixed(2)}`);
  $("video-tags").textContent = tags.length ? `The picture suggests: ${tags.join(", ")}` : "";
  drawTimeline();
  loadResults();
}

function addRetry() {
  const b = document.createElement("button");
  b.textContent = "Analyse again";
  b.addEventListener("click", async () => { await api(`/api/videos/${id}/reanalyse/`, { method: "POST" }); b.remove(); pollVideo(); });
  $("analysis").append(b);
}

function query() {
  const data = new FormData($("controls"));
  const params = new URLSearchParams({ k: "10" });
  for (const [k, v] of data.entries()) if (v !== "") params.set(k, v);
  if (params.get("mode") === "global") params.delete("fit"); // fitted versions are ranked by alignment
  return params.toString();
}

/** Seconds as m:ss.cc: an offset an editor can type in, to the frame. */
function clock(seconds) {
  const m = Math.floor(seconds / 60);
  return `${m}:${(seconds - 60 * m).toFixed(2).padStart(5, "0")}`;
}

/** Evidence in nats, with its sign: what each kind of event said for this track. */
function signed(x) {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(1)}`;
}

/** The light term as a picture: the video's light against the track's level over the video, at the offset. */
function lightChart(r) {
  if (!r.light_trace) return "";
  const { hop, picture, music } = r.light_trace;
  const how = r.light >= 0.5 ? "the picture's light pulses with the music" : r.light >= 0.2 ? "the light partly follows the music" : "the light does not follow the music";
  const label = `Light against the music's level over ${(picture.length * hop).toFixed(1)} s from ${clock(r.offset_seconds)}: correlation ${r.light >= 0 ? "+" : "−"}${Math.abs(r.light).toFixed(2)}, ${how}`;
  return lineChart([{ name: "light", values: picture, cls: "light" }, { name: "level", values: music, cls: "level" }], { label });
}

async function loadResults() {
  const list = $("results");
  list.innerHTML = "<li>Ranking…</li>";
  try {
    const recs = await api(`/api/videos/${id}/recommendations/?${query()}`);
    list.innerHTML = recs.map((r, i) => `<li data-i="${i}">
        <button type="button" class="play" data-i="${i}">▶</button>
        <strong>${esc(r.track.title)}</strong> <span class="small">${esc(r.track.artist)}</span>
        <span class="small">score ${r.score.toFixed(2)} · ${r.track.tempo ? Math.round(r.track.tempo) + " BPM" : ""}
        · from ${clock(r.offset_seconds)} ${r.sync != null ? `· sync ${r.sync.toFixed(2)} · energy ${r.energy.toFixed(2)}` : ""}
        ${r.onset != null ? `· cuts on onsets ${signed(r.onset)} · on the beat ${signed(r.metre)} · accents ${signed(r.accent)}` : ""}
        ${r.light != null ? `· light on the level ${r.light >= 0 ? "+" : "−"}${Math.abs(r.light).toFixed(2)}` : ""}</span>
        ${r.fit ? `<span class="small fitted">fitted: ${r.fit.pieces.length} pieces, ${r.fit.joins.length} joins${r.fit.ending_trim > 0 ? "" : ", ends on its ending"} · as it is ${r.unfitted_score.toFixed(2)}</span>` : ""}
        ${r.brief ? `<span class="small brief">${esc(r.brief.summary)}</span>` : ""}
        ${lightChart(r)}
        <span>${r.track.tags.filter((t) => t.probability >= 0.5).slice(0, 3).map((t) => `<span class="chip">${t.tag}</span>`).join(" ")}</span>
      </li>`).join("") || "<li>No track fits these filters.</li>";
    list.querySelectorAll("button.play").forEach((b) => b.addEventListener("click", () => choose(recs[Number(b.dataset.i)], b.closest("li"))));
  } catch (err) {
    list.innerHTML = `<li class="error">${esc(err.message)}</li>`;
  }
}

async function choose(rec, li) {
  const track = await api(`/api/tracks/${rec.track.id}/`);
  chosen = { rec, track };
  anchor = null;
  // A fitted result comes with its plan: play it as scored, no need to plan again.
  fitted = rec.fit ? { plan: rec.fit } : null;
  if (rec.fit) $("fit-length").checked = true;
  $("anchor-hint").textContent = "";
  if (fitted) showPlan(fitted.plan); else planFit();
  document.querySelectorAll("#results li").forEach((x) => x.classList.toggle("chosen", x === li));
  const music = $("music");
  music.src = rec.track.audio_url;
  if (!fitted) $("now-playing").textContent = `${rec.track.title} from ${clock(rec.offset_seconds)}`;
  $("chosen-actions").hidden = false;
  markerLinks(`track=${rec.track.id}&offset=${rec.offset_seconds}`);
  drawTimeline();
  const v = $("video");
  v.currentTime = 0;
  await v.play().catch(() => {});
}

function markerLinks(q) {
  $("markers-csv").href = `/api/videos/${id}/markers/?${q}&as=csv`;
  $("markers-edl").href = `/api/videos/${id}/markers/?${q}&as=edl`;
}

// Where the music is at video time t: from the offset, or through the fitted plan's pieces.
function musicTime(t) {
  if (!fitted) return chosen.rec.offset_seconds + t;
  const p = fitted.plan.pieces.findLast((x) => x.out_start <= t) || fitted.plan.pieces[0];
  return p.src_start + (t - p.out_start);
}

// Keep the music where the picture is: the video is the clock, the track follows.
function sync() {
  if (!chosen) return;
  const v = $("video"), m = $("music");
  const want = musicTime(v.currentTime);
  if (Math.abs(m.currentTime - want) > 0.08) m.currentTime = want;
  if (v.paused !== m.paused) (v.paused ? m.pause() : m.play().catch(() => {}));
}
["play", "pause", "seeked", "timeupdate"].forEach((e) => $("video").addEventListener(e, () => { sync(); drawTimeline(); }));
$("video").addEventListener("ended", () => $("music").pause());

function drawTimeline() {
  const canvas = $("timeline");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  if (!video || !video.duration) return;
  const x = (t) => (t / video.duration) * w;
  const shotY = 10, shotH = 40, musicY = 115, musicH = 40;
  video.shots.forEach(([a, b], i) => {
    ctx.fillStyle = video.shot_colours[i] || "#64748b";
    ctx.fillRect(x(a), shotY, Math.max(1, x(b) - x(a) - 1), shotH);
  });
  ctx.fillStyle = "#334155";
  ctx.font = "11px sans-serif";
  ctx.fillText("shots", 4, shotY + shotH + 12);
  // picture activity under the shots
  ctx.strokeStyle = "#f59e0b";
  ctx.beginPath();
  video.activity.forEach((a, i) => {
    const px = x(i * video.activity_hop), py = shotY + shotH / 2 - Math.max(-2, Math.min(2, a)) * 8;
    i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
  });
  ctx.stroke();
  if (chosen && fitted) drawPlan(ctx, x, musicY, musicH, shotY + shotH);
  else if (chosen) {
    const off = chosen.rec.offset_seconds, t = chosen.track;
    for (const s of t.sections) {
      const a = s.start - off, b = s.end - off;
      if (b < 0 || a > video.duration) continue;
      ctx.fillStyle = sectionColor(s.label);
      ctx.fillRect(x(Math.max(0, a)), musicY, Math.max(1, x(Math.min(video.duration, b)) - x(Math.max(0, a)) - 1), musicH);
      ctx.fillStyle = "#fff";
      if (a >= 0) ctx.fillText(s.label, x(a) + 3, musicY + 14);
    }
    ctx.fillStyle = "rgba(15,23,42,.8)";
    for (const d of t.downbeats) { const px = x(d - off); if (px >= 0 && px <= w) ctx.fillRect(px, musicY + musicH - 10, 1.5, 10); }
    ctx.fillStyle = "#334155";
    ctx.fillText(`${t.title} from ${off.toFixed(1)} s`, 4, musicY + musicH + 12);
    ctx.strokeStyle = "rgba(30,41,59,.55)";
    for (const [vt, mt] of chosen.rec.path) {
      ctx.beginPath();
      ctx.moveTo(x(vt), shotY + shotH);
      ctx.lineTo(x(mt - off), musicY);
      ctx.stroke();
    }
  }
  ctx.fillStyle = "#dc2626";
  ctx.fillRect(x($("video").currentTime), 0, 2, h);
}

// The fitted plan in the music lane: each piece's sections and downbeats where the edit puts them, joins in red,
// the anchor as a yellow line up to the picture.
function drawPlan(ctx, x, musicY, musicH, shotBottom) {
  const t = chosen.track, plan = fitted.plan;
  for (const p of plan.pieces) {
    const at = (s) => p.out_start + s - p.src_start;
    for (const s of t.sections) {
      const a = Math.max(s.start, p.src_start), b = Math.min(s.end, p.src_end);
      if (b <= a) continue;
      ctx.fillStyle = sectionColor(s.label);
      ctx.fillRect(x(at(a)), musicY, Math.max(1, x(at(b)) - x(at(a)) - 1), musicH);
      ctx.fillStyle = "#fff";
      ctx.fillText(s.label, x(at(a)) + 3, musicY + 14);
    }
    ctx.fillStyle = "rgba(15,23,42,.8)";
    for (const d of t.downbeats) if (d >= p.src_start && d < p.src_end) ctx.fillRect(x(at(d)), musicY + musicH - 10, 1.5, 10);
  }
  ctx.fillStyle = "#dc2626";
  for (const j of plan.joins) ctx.fillRect(x(j.out_time) - 1, musicY - 6, 3, musicH + 12);
  const marks = drag ? [[drag.music, drag.at]] : plan.anchors;
  ctx.strokeStyle = "#eab308";
  ctx.fillStyle = "#eab308";
  ctx.lineWidth = 3;
  if (drag) ctx.setLineDash([6, 4]);
  for (const [mt, vt] of marks) {
    ctx.beginPath(); ctx.moveTo(x(vt), shotBottom); ctx.lineTo(x(vt), musicY + musicH); ctx.stroke();
    // the handle a person grabs, and what it holds
    ctx.beginPath(); ctx.moveTo(x(vt) - HANDLE, musicY + musicH + 2); ctx.lineTo(x(vt) + HANDLE, musicY + musicH + 2);
    ctx.lineTo(x(vt), musicY + musicH - 8); ctx.closePath(); ctx.fill();
    ctx.fillText(`${mt.toFixed(2)} s → ${vt.toFixed(2)} s`, Math.min(x(vt) + HANDLE + 2, ctx.canvas.width - 110), shotBottom + 12);
  }
  ctx.setLineDash([]);
  const canvas = ctx.canvas;
  if (marks.length) canvas.dataset.anchorAt = String(marks[0][1]); else delete canvas.dataset.anchorAt;
  ctx.lineWidth = 1;
  ctx.fillStyle = "#334155";
  const trim = plan.ending_trim > 0 ? `, ending trimmed ${plan.ending_trim.toFixed(2)} s` : ", ends on its ending";
  ctx.fillText(`${t.title} fitted: ${plan.pieces.length} pieces, ${plan.joins.length} joins${trim}`, 4, musicY + musicH + 12);
}

function showPlan(plan) {
  $("now-playing").textContent = `${chosen.rec.track.title} fitted to the video: ${plan.joins.length} joins`;
  const a = plan.anchors[0];
  $("anchor-hint").textContent = `${plan.pieces.length} pieces, ${plan.joins.length} joins` +
    (a ? ` · the music at ${a[0].toFixed(2)} s lands at ${a[1].toFixed(2)} s (drag the yellow marker to move it)` : "");
}

// Plan without rendering (a few ms on the server): the timeline shows the fitted edit and the page plays it in sync.
async function planFit() {
  if (!chosen || !$("fit-length").checked) {
    if (chosen) $("now-playing").textContent = `${chosen.rec.track.title} from ${chosen.rec.offset_seconds.toFixed(1)} s`;
    fitted = null;
    drawTimeline();
    return;
  }
  const q = new URLSearchParams({ track: chosen.rec.track.id });
  if (anchor) { q.set("music", anchor[0]); q.set("at", anchor[1]); }
  $("anchor-hint").textContent = "Planning the edit…";
  try {
    const plan = await api(`/api/videos/${id}/fit-plan/?${q}`);
    fitted = { plan };
    showPlan(plan);
  } catch (err) {
    $("anchor-hint").textContent = err.message;
  }
  drawTimeline();
}
$("fit-length").addEventListener("change", planFit);

// Dragging the anchor: press anywhere on the timeline (the marker jumps there) or on the marker, move, release.
// The moment of the music stays the anchor's (or, with no anchor yet, the one heard where the press was).
function videoTimeAt(e) {
  const r = $("timeline").getBoundingClientRect();
  const t = ((e.clientX - r.left) / r.width) * video.duration, fps = video.fps || 25;
  return Math.round(Math.round(Math.max(0, Math.min(video.duration, t)) * fps) / fps * 1000) / 1000; // to the frame
}

function draggable() {
  return chosen && video && $("fit-length").checked && fitted;
}

$("timeline").addEventListener("pointerdown", (e) => {
  if (!draggable()) return;
  const vt = videoTimeAt(e);
  const held = fitted.plan.anchors[0];
  drag = { music: held ? held[0] : musicTime(vt), at: vt };
  $("timeline").setPointerCapture(e.pointerId);
  drawTimeline();
});

$("timeline").addEventListener("pointermove", (e) => {
  const canvas = $("timeline");
  if (!drag) {
    const a = draggable() && fitted.plan.anchors[0];
    const r = canvas.getBoundingClientRect();
    const near = a && Math.abs(e.clientX - r.left - (a[1] / video.duration) * r.width) <= HANDLE;
    canvas.style.cursor = near ? "ew-resize" : (draggable() ? "pointer" : "");
    return;
  }
  drag.at = videoTimeAt(e);
  $("anchor-hint").textContent = `the music at ${drag.music.toFixed(2)} s to ${drag.at.toFixed(2)} s — release to plan`;
  drawTimeline();
});

function dropAnchor() {
  if (!drag) return;
  anchor = [Math.round(drag.music * 1000) / 1000, drag.at];
  drag = null;
  planFit();
}
$("timeline").addEventListener("pointerup", dropAnchor);
$("timeline").addEventListener("pointercancel", () => { drag = null; drawTimeline(); });

// Keyboard: arrows move the anchor a frame (with Shift, half a second).
$("timeline").addEventListener("keydown", (e) => {
  if (!draggable() || !["ArrowLeft", "ArrowRight"].includes(e.key)) return;
  e.preventDefault();
  const held = anchor || fitted.plan.anchors[0] || [musicTime(0), 0];
  const step = (e.shiftKey ? 0.5 : 1 / (video.fps || 25)) * (e.key === "ArrowLeft" ? -1 : 1);
  anchor = [held[0], Math.round(Math.max(0, Math.min(video.duration, held[1] + step)) * 1000) / 1000];
  planFit();
});

$("render-preview").addEventListener("click", async () => {
  if (!chosen) return;
  const slot = $("preview-slot");
  const fit = $("fit-length").checked;
  const body = fit ? { track: chosen.rec.track.id, fit: "length", anchors: anchor ? [anchor] : [] }
    : { track: chosen.rec.track.id, offset: chosen.rec.offset_seconds };
  try {
    const p = await api(`/api/videos/${id}/previews/`, { method: "POST", body });
    const show = (pv) => {
      slot.innerHTML = `<a id="preview-link" href="${pv.file_url}" download>Download preview (${esc(pv.track_title)}${pv.plan ? ", fitted" : ""})</a>`;
      fitted = pv.plan ? pv : null;
      if (fitted) markerLinks(`track=${pv.track}&preview=${pv.id}`);
      drawTimeline();
    };
    if (p.state === "ready") return show(p);
    slot.innerHTML = `<job-progress job-id="${p.job}"></job-progress>`;
    slot.querySelector("job-progress").addEventListener("job-finished", async (e) => {
      if (e.detail.state !== "done") return;
      const all = await api(`/api/videos/${id}/previews/`);
      show(all.find((x) => x.id === p.id));
    });
  } catch (err) {
    slot.textContent = err.message;
  }
});

$("controls").addEventListener("change", () => video && video.state === "ready" && loadResults());
pollVideo();
