// Drum studio: seamless Web Audio looping, ratings with keyboard shortcuts, a grid that lights the
// playing step, history with replay, favourites, and the like-rate chart with the learner's predictions.
import { api } from "./api.js";
import { $ } from "./dom.js";

const INSTRUMENTS = ["kick", "snare", "closed_hat", "open_hat", "clap", "low_tom", "high_tom", "rim", "cymbal"];
const root = $("studio");
const sessionId = root.dataset.session;
const state = {
  ctx: null, source: null, startedAt: 0, playing: false, wantPlay: false, loop: null, buffer: null,
  tempo: Number(root.dataset.tempo), swing: Number(root.dataset.swing), busy: false,
};

function audioUrl(loop) {
  return `${loop.audio_url}?tempo=${state.tempo}&swing=${state.swing}`;
}

async function decode(loop) {
  state.ctx = state.ctx || new AudioContext();
  const res = await fetch(audioUrl(loop), { credentials: "same-origin" });
  if (!res.ok) throw new Error(`audio: HTTP ${res.status}`);
  return state.ctx.decodeAudioData(await res.arrayBuffer());
}

function loopDuration() { return state.buffer ? state.buffer.duration : 0; }

// Start `buffer` looping; when already playing, switch at the next loop boundary so the groove never stops.
function play(buffer) {
  const ctx = state.ctx;
  const src = ctx.createBufferSource();
  src.buffer = buffer;
  src.loop = true;
  src.connect(ctx.destination);
  let when = ctx.currentTime + 0.02;
  if (state.playing && state.source) {
    const d = loopDuration();
    const elapsed = (ctx.currentTime - state.startedAt) % d;
    when = ctx.currentTime + (d - elapsed);
    state.source.stop(when);
  }
  src.start(when);
  state.source = src;
  state.buffer = buffer;
  state.startedAt = when;
  state.playing = true;
  state.wantPlay = false;
  $("play").textContent = "■ Stop";
}

function stop() {
  if (state.source) state.source.stop();
  state.source = null;
  state.playing = false;
  state.wantPlay = false;
  $("play").textContent = "▶ Play";
}

function drawGrid(pattern) {
  const grid = $("grid");
  grid.innerHTML = "";
  for (const name of INSTRUMENTS) {
    const label = document.createElement("div");
    label.className = "name";
    label.textContent = name.replace("_", " ");
    grid.appendChild(label);
    (pattern[name] || []).forEach((v, step) => {
      const cell = document.createElement("div");
      cell.className = `cell${step % 4 === 0 ? " beat" : ""}${v > 0 ? " on" : ""}`;
      cell.dataset.step = step;
      if (v > 0) cell.style.opacity = String(0.35 + 0.65 * v);
      grid.appendChild(cell);
    });
  }
}

// Light the step that is sounding now (swing delays odd 16ths by swing × half a step).
function tick() {
  if (state.playing && state.buffer) {
    const d = loopDuration();
    const t = (state.ctx.currentTime - state.startedAt) % d;
    if (t >= 0) {
      const stepLen = d / 16;
      let step = Math.floor(t / stepLen);
      if (step % 2 === 1 && t - step * stepLen < (state.swing * stepLen) / 2) step -= 1;
      if (step !== state.step) {
        document.querySelectorAll(".cell.now").forEach((c) => c.classList.remove("now"));
        document.querySelectorAll(`.cell[data-step="${step}"]`).forEach((c) => c.classList.add("now"));
        state.step = step;
        $("grid").dataset.playingStep = step;
      }
    }
  }
  requestAnimationFrame(tick);
}

async function show(loop) {
  state.loop = loop;
  drawGrid(loop.pattern);
  $("loop-info").textContent =
    `loop #${loop.index + 1} · predicted like ${(loop.p_like * 100).toFixed(0)}% ± ${(loop.uncertainty * 100).toFixed(0)} · ` +
    `${loop.source} · chosen in ${loop.choose_ms.toFixed(0)} ms`;
  $("loop-info").dataset.loopId = loop.id;
  $("dl-wav").href = audioUrl(loop);
  $("dl-midi").href = `${loop.midi_url}?tempo=${state.tempo}&swing=${state.swing}`;
  $("fav").textContent = loop.favourite ? "★ Favourite" : "☆ Favourite";
  const buffer = await decode(loop);
  if (state.loop !== loop) return; // a newer loop arrived meanwhile
  if (state.playing || state.wantPlay) play(buffer); else state.buffer = buffer;
}

async function rate(rating) {
  if (!state.loop || state.busy) return;
  state.busy = true;
  document.body.dataset.busy = "1"; // a rating's key press is ignored until the next loop is ready
  try {
    const res = await api(`/api/drum-sessions/${sessionId}/ratings/`, {
      method: "POST", body: { loop: state.loop.id, rating } });
    prependHistory(res.rated);
    const shown = show(res.next);
    refreshChart();
    await shown;
  } catch (err) {
    $("loop-info").textContent = `error: ${err.message}`;
  } finally {
    state.busy = false;
    delete document.body.dataset.busy;
  }
}

function historyItem(loop) {
  const li = document.createElement("li");
  li.dataset.loopId = loop.id;
  li.innerHTML = `<span class="badge ${loop.rating}">${loop.rating}</span> loop #${loop.index + 1}
    <button type="button" class="neutral replay">▶</button>
    <button type="button" class="neutral star">${loop.favourite ? "★" : "☆"}</button>
    <a href="${loop.audio_url}" download>wav</a> <a href="${loop.midi_url}" download>mid</a>`;
  li.querySelector(".replay").addEventListener("click", async () => {
    drawGrid(loop.pattern);
    play(await decode(loop));
  });
  li.querySelector(".star").addEventListener("click", async (e) => {
    const updated = await api(`/api/drum-loops/${loop.id}/favourite/`, { method: "POST", body: { favourite: !loop.favourite } });
    loop.favourite = updated.favourite;
    e.target.textContent = loop.favourite ? "★" : "☆";
  });
  return li;
}

function prependHistory(loop) {
  $("history").querySelector(`li[data-loop-id="${loop.id}"]`)?.remove();
  $("history").prepend(historyItem(loop));
}

// The real like-rate (rolling 10) beside the learner's prediction for the same loops, and a dot for the
// predicted like probability of the loop playing now (the next one to rate).
async function refreshChart() {
  const points = await api(`/api/drum-sessions/${sessionId}/like-rate/`);
  const svg = $("chart");
  const w = 400, h = 160, pad = 20;
  const n = Math.max(points.length + 1, 10);
  const x = (i) => pad + ((w - 2 * pad) * i) / Math.max(n - 1, 1);
  const y = (v) => h - pad - (h - 2 * pad) * v;
  const line = points.map((p, i) => `${x(i)},${y(p.like_rate)}`).join(" ");
  const predicted = points.map((p, i) => `${x(i)},${y(p.predicted_rate)}`).join(" ");
  const next = state.loop && !state.loop.rating ? state.loop.p_like : null;
  svg.innerHTML = `
    <line x1="${pad}" y1="${y(0)}" x2="${w - pad}" y2="${y(0)}" stroke="#ccc"/>
    <line x1="${pad}" y1="${y(1)}" x2="${w - pad}" y2="${y(1)}" stroke="#eee"/>
    <line x1="${pad}" y1="${y(0.8)}" x2="${w - pad}" y2="${y(0.8)}" stroke="#16a34a" stroke-dasharray="4 4"/>
    <text x="2" y="${y(1) + 4}" font-size="10">100%</text><text x="2" y="${y(0) + 4}" font-size="10">0%</text>
    <polyline fill="none" stroke="#f59e0b" stroke-width="1.5" stroke-dasharray="3 3" points="${predicted}"/>
    <polyline fill="none" stroke="#4f46e5" stroke-width="2" points="${line}"/>
    ${next === null ? "" : `<circle id="chart-next" cx="${x(points.length)}" cy="${y(next)}" r="4" fill="#f59e0b"><title>next loop: predicted like ${(next * 100).toFixed(0)}%</title></circle>`}
    <text x="${pad}" y="12" font-size="10" fill="#4f46e5">liked (rolling 10)</text>
    <text x="${pad + 95}" y="12" font-size="10" fill="#f59e0b">predicted${next === null ? "" : ` · next loop ${(next * 100).toFixed(0)}%`}</text>
    <text x="${w - pad}" y="${h - 4}" font-size="10" text-anchor="end">${points.length} ratings</text>`;
  svg.dataset.points = points.length;
  svg.dataset.next = next === null ? "" : next.toFixed(3);
}

async function patchSession(body) {
  await api(`/api/drum-sessions/${sessionId}/`, { method: "PATCH", body });
  if (state.loop) await show(state.loop);
}

function bindControls() {
  $("play").addEventListener("click", async () => {
    state.ctx = state.ctx || new AudioContext();
    await state.ctx.resume();
    if (state.playing || state.wantPlay) stop();
    else if (state.buffer) play(state.buffer);
    else { state.wantPlay = true; $("play").textContent = "… loading"; } // starts when the audio is ready
  });
  $("like").addEventListener("click", () => rate("like"));
  $("dislike").addEventListener("click", () => rate("dislike"));
  $("skip").addEventListener("click", () => rate("skip"));
  $("fav").addEventListener("click", async () => {
    if (!state.loop) return;
    state.loop = await api(`/api/drum-loops/${state.loop.id}/favourite/`, { method: "POST", body: { favourite: !state.loop.favourite } });
    $("fav").textContent = state.loop.favourite ? "★ Favourite" : "☆ Favourite";
  });
  for (const [id, key, fmt] of [["tempo", "tempo", (v) => v.toFixed(0)], ["swing", "swing", (v) => v.toFixed(2)]]) {
    const input = $(id);
    input.value = state[key];
    $(`${id}-val`).textContent = fmt(state[key]);
    input.addEventListener("input", () => ($(`${id}-val`).textContent = fmt(Number(input.value))));
    input.addEventListener("change", () => { state[key] = Number(input.value); patchSession({ [key]: state[key] }); });
  }
  document.addEventListener("keydown", (e) => {
    if (e.target.matches("input, select, textarea")) return;
    const actions = { l: "like", ArrowRight: "like", d: "dislike", ArrowLeft: "dislike", s: "skip", ArrowDown: "skip" };
    if (actions[e.key]) { e.preventDefault(); rate(actions[e.key]); }
    else if (e.key === " ") { e.preventDefault(); $("play").click(); }
    else if (e.key === "f") { $("fav").click(); }
  });
}

async function init() {
  bindControls();
  const history = await api(`/api/drum-sessions/${sessionId}/loops/`);
  for (const loop of history.results.filter((l) => l.rating).reverse()) prependHistory(loop);
  const shown = show(await api(`/api/drum-sessions/${sessionId}/next/`)); // sets state.loop before decoding
  refreshChart();
  requestAnimationFrame(tick);
  await shown;
}

init();
