// Shared DOM helpers for the page scripts (ES module): element lookup, HTML escaping, section colours,
// the m:ss time format, drop-zone wiring for uploads and progress bars. One definition of each, here.

// The element with this id (or null).
export const $ = (id) => document.getElementById(id);

// Text made safe to put into innerHTML (text and double-quoted attribute values); null and undefined become "".
export const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

// Music sections are labelled A, B, C…: each letter has its colour on every page (timelines, waveform, legend).
export const SECTION_COLORS = ["#4f46e5", "#0891b2", "#16a34a", "#ca8a04", "#dc2626", "#9333ea", "#db2777", "#475569"];
export const sectionColor = (label) => SECTION_COLORS[(label.charCodeAt(0) - 65) % SECTION_COLORS.length];

// Seconds as m:ss ("" when unknown).
export const mmss = (s) => (s == null ? "" : `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, "0")}`);

// Upload drop zone: files dropped on `zone` or chosen in the file `input` go to `onFile`, one call per file;
// the zone has the class "over" while something is dragged over it.
export function bindDropZone(zone, input, onFile) {
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    [...e.dataTransfer.files].forEach(onFile);
  });
  input.addEventListener("change", (e) => [...e.target.files].forEach(onFile));
}

// A <div class="progress"><div class="bar"></div></div> showing `percent` (0-100) in `state` (styles key on data-state).
export function setProgress(progress, percent, state) {
  progress.setAttribute("aria-valuenow", percent);
  progress.dataset.state = state;
  progress.querySelector(".bar").style.width = `${percent}%`;
}
