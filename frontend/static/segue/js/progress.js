// <job-progress job-id="42"></job-progress>: polls GET /api/jobs/42/ until the job is done or failed.
// Fires a "job-finished" event (detail: the job) that pages use to show results.
import { api } from "./api.js";
import { setProgress } from "./dom.js";

const FINAL = new Set(["done", "failed"]);

class JobProgress extends HTMLElement {
  connectedCallback() {
    this.innerHTML = `<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100">
        <div class="bar"></div></div><span class="status"></span>`;
    this.interval = Number(this.getAttribute("interval") || 700);
    this.poll();
  }
  disconnectedCallback() { clearTimeout(this.timer); }

  render(job) {
    setProgress(this.querySelector(".progress"), job.progress, job.state);
    this.dataset.state = job.state;
    const text = job.state === "failed" ? `failed: ${job.error}` : `${job.state} ${job.progress}% ${job.message || ""}`;
    this.querySelector(".status").textContent = text;
  }

  async poll() {
    try {
      const job = await api(`/api/jobs/${this.getAttribute("job-id")}/`);
      this.render(job);
      if (FINAL.has(job.state)) {
        this.dispatchEvent(new CustomEvent("job-finished", { detail: job, bubbles: true }));
        return;
      }
    } catch (err) {
      this.querySelector(".status").textContent = `cannot read job: ${err.message}`;
    }
    this.timer = setTimeout(() => this.poll(), this.interval);
  }
}

customElements.define("job-progress", JobProgress);
