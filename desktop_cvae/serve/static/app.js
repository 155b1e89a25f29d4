// A little JavaScript where it helps: drop, paste and a drawing pad fill the upload form, and the noise test
// answers without reloading the page. Every page works without it.
"use strict";

function sendFile(file) {
  const form = document.getElementById("upload");
  const input = document.getElementById("file");
  if (!form || !input || !file) return;
  const box = new DataTransfer();
  box.items.add(file);
  input.files = box.files;
  form.requestSubmit();
}

function setUpDrop() {
  const drop = document.getElementById("drop");
  if (!drop) return;
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) sendFile(e.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (e) => {
    for (const item of e.clipboardData.items) {
      if (item.kind === "file" && item.type.startsWith("image/")) {
        e.preventDefault();
        sendFile(item.getAsFile());
        return;
      }
    }
  });
}

function setUpPad() {
  const pad = document.getElementById("pad");
  if (!pad) return;
  const ctx = pad.getContext("2d");
  const clear = () => { ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, pad.width, pad.height); drawn = false; };
  let drawing = false, drawn = false, last = null;
  clear();
  const at = (e) => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
  };
  pad.addEventListener("pointerdown", (e) => {
    drawing = true; last = at(e); pad.setPointerCapture(e.pointerId);
    ctx.fillStyle = "#000"; ctx.beginPath(); ctx.arc(last[0], last[1], 9, 0, 2 * Math.PI); ctx.fill();
    drawn = true;
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const p = at(e);
    ctx.strokeStyle = "#000"; ctx.lineWidth = 18; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
    last = p;
  });
  for (const name of ["pointerup", "pointercancel"]) pad.addEventListener(name, () => { drawing = false; });
  document.getElementById("pad-clear").addEventListener("click", clear);
  document.getElementById("pad-send").addEventListener("click", () => {
    if (!drawn) return;
    pad.toBlob((blob) => sendFile(new File([blob], "drawing.png", { type: "image/png" })), "image/png");
  });
}

function setUpNoiseTest() {
  const form = document.getElementById("noise-test");
  if (!form) return;
  const slider = document.getElementById("sigma");
  const shown = document.getElementById("sigma-value");
  let latest = 0;
  const run = async () => {
    const ask = ++latest;  // the newest request wins: a slow answer for an old sigma is dropped
    const url = form.dataset.api + "?sigma=" + encodeURIComponent(slider.value) +
      "&seed=" + encodeURIComponent(form.elements.seed.value);
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok || ask !== latest) return;
    const answer = await response.json();
    document.getElementById("noisy-input").src = answer.images.input;
    document.getElementById("noisy-reconstruction").src = answer.images.reconstruction;
    const text = document.getElementById("noisy-answer");
    if (answer.label !== null) {
      text.textContent = "Recognised as ";
      const strong = document.createElement("strong");
      strong.id = "noisy-label";
      strong.textContent = String(answer.label);
      text.append(strong, " (" + (answer.probabilities[answer.label] * 100).toFixed(1) + " %)");
    }
  };
  slider.addEventListener("input", () => { shown.textContent = Number(slider.value).toFixed(2); run(); });
  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
}

document.addEventListener("DOMContentLoaded", () => { setUpDrop(); setUpPad(); setUpNoiseTest(); });
