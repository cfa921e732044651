// Videos page: drag-and-drop upload with upload progress, then the list of your videos with their state.
import { api, upload } from "./api.js";
import { $, bindDropZone, esc, mmss } from "./dom.js";

async function send(file) {
  const li = document.createElement("li");
  li.innerHTML = `<span class="kind">${esc(file.name)}</span>
    <div class="progress" role="progressbar"><div class="bar"></div></div><span class="status">uploading…</span>`;
  $("uploads").prepend(li);
  const bar = li.querySelector(".bar");
  const form = new FormData();
  form.append("file", file);
  try {
    const video = await upload("/api/videos/", form, (f) => { bar.style.width = `${Math.round(f * 100)}%`; });
    li.querySelector(".status").innerHTML = `uploaded — <a href="/videos/${video.id}/">open</a>`;
    window.location.href = `/videos/${video.id}/`;
  } catch (err) {
    li.querySelector(".progress").dataset.state = "failed";
    li.querySelector(".status").textContent = (err.body && err.body.file && err.body.file[0]) || err.message;
    li.classList.add("error");
  }
}

async function list() {
  const page = await api("/api/videos/");
  $("video-rows").innerHTML = page.results.map((v) => `<tr>
      <td><a href="/videos/${v.id}/">${esc(v.title)}</a></td><td>${mmss(v.duration)}</td><td>${v.shots.length || ""}</td>
      <td class="state-${v.state}">${v.state}${v.state === "failed" ? `: ${esc(v.error)}` : ""}</td>
      <td><a href="/videos/${v.id}/">results</a></td></tr>`).join("") || `<tr><td colspan="5">No videos yet.</td></tr>`;
}

bindDropZone($("dropzone"), $("file"), send);
list();
