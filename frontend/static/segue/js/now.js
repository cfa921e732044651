// "For now": the inferred listening contexts and a playlist for them; play, like and skip send feedback.
import { api } from "./api.js";
import { $, esc } from "./dom.js";

let situation = {};

function params() {
  const form = new FormData($("situation"));
  const q = new URLSearchParams({ k: "20" });
  if (form.get("device")) q.set("device", form.get("device"));
  if (form.get("time")) q.set("time", form.get("time"));
  return q;
}

async function load() {
  const data = await api(`/api/playlists/now/?${params()}`);
  situation = { device: data.device, time: data.time };
  $("reason").textContent = data.reason;
  $("source").textContent = `Ranked by ${data.source}.`;
  $("contexts").innerHTML = data.contexts.map((c) => `<li><span class="chip">${c.tag}</span>
      <div class="bar"><div style="width:${Math.round(c.probability * 100)}%"></div></div><span class="src">${c.probability.toFixed(2)}</span></li>`).join("");
  $("playlist").innerHTML = data.items.map((it) => `<tr data-track="${it.track.id}">
      <td><button type="button" class="play">▶</button></td><td>${esc(it.track.title)}</td><td>${esc(it.track.artist)}</td>
      <td>${it.track.tempo ? Math.round(it.track.tempo) : ""}</td>
      <td>${Object.entries(it.fits).map(([t, p]) => `${t} ${p.toFixed(2)}`).join(" · ")}</td>
      <td><button type="button" class="good like">like</button> <button type="button" class="neutral skip">skip</button></td></tr>`).join("")
    || `<tr><td colspan="6">No analysed tracks yet.</td></tr>`;
  document.querySelectorAll("#playlist tr[data-track]").forEach((row) => {
    const track = Number(row.dataset.track);
    const item = data.items.find((it) => it.track.id === track);
    row.querySelector(".play").addEventListener("click", () => { $("player").src = item.track.audio_url; $("player").play(); send(track, "play"); });
    row.querySelector(".like").addEventListener("click", () => send(track, "like").then(() => row.classList.add("liked")));
    row.querySelector(".skip").addEventListener("click", () => send(track, "skip").then(load));
  });
}

function send(track, action) {
  const body = { track, action, device: situation.device, time: situation.time };
  if ($("said").value) body.context = $("said").value;
  return api("/api/listens/", { method: "POST", body });
}

$("situation").addEventListener("submit", (e) => { e.preventDefault(); load(); });
load();
