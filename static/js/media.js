// @ts-check
// Video tiles with sound for the room and watch pages: a name label, a mute button and a
// volume slider per remote stream, a "click to enable sound" button when the browser's
// autoplay policy refuses to play sound before a click, and a speaking indicator.
// Nothing here runs at import time.
import { el } from "./ui.js";

/** Below this RMS level (0..1) of the microphone signal, nobody is speaking. */
export const SPEAKING_LEVEL = 0.02;
/** How long the speaking indicator stays on after the last loud moment, in ms. */
export const SPEAKING_HOLD_MS = 700;

/**
 * Root-mean-square level (0..1) of 8-bit PCM samples centred on 128.
 * @param {Uint8Array} samples
 */
export function rmsLevel(samples) {
  if (!samples.length) return 0;
  let sum = 0;
  for (const value of samples) {
    const centred = (value - 128) / 128;
    sum += centred * centred;
  }
  return Math.sqrt(sum / samples.length);
}

/**
 * Plays a video with its sound. When autoplay with sound is refused, `onBlocked` is told
 * (the page shows its "click to enable sound" button); the video is not muted behind the
 * person's back.
 * @param {HTMLVideoElement} video
 * @param {() => void} onBlocked
 */
export function playWithSound(video, onBlocked) {
  video.muted = false;
  const playing = video.play();
  if (playing) playing.catch((err) => (err && err.name === "NotAllowedError" ? onBlocked() : undefined));
}

/**
 * One "click to enable sound" button for a page: shown while some video could not start
 * with sound; a click (a user gesture) plays them all.
 * @param {HTMLButtonElement} button
 */
export function soundGate(button) {
  /** @type {Set<HTMLVideoElement>} */
  const blocked = new Set();
  button.hidden = true;
  button.addEventListener("click", () => {
    for (const video of blocked) {
      video.muted = false;
      video.play().catch(() => {});
    }
    blocked.clear();
    button.hidden = true;
  });
  return {
    /** @param {HTMLVideoElement} video */
    play(video) {
      playWithSound(video, () => {
        blocked.add(video);
        button.hidden = false;
      });
    },
  };
}

/**
 * Mute / unmute and volume for one remote video, labelled with whose sound it is.
 * @param {HTMLVideoElement} video
 * @param {string} name
 */
export function soundControls(video, name) {
  const mute = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "secondary small-button mute-button", "aria-pressed": "false" }, "Mute")
  );
  const volume = /** @type {HTMLInputElement} */ (
    el("input", {
      type: "range",
      min: "0",
      max: "1",
      step: "0.05",
      value: "1",
      class: "volume",
      "aria-label": `Volume of ${name}`,
    })
  );
  const render = () => {
    mute.textContent = video.muted ? "Unmute" : "Mute";
    mute.setAttribute("aria-label", `${video.muted ? "Unmute" : "Mute"} ${name}`);
    mute.setAttribute("aria-pressed", String(video.muted));
  };
  mute.addEventListener("click", () => {
    video.muted = !video.muted;
    render();
  });
  volume.addEventListener("input", () => {
    video.volume = Number(volume.value);
  });
  video.addEventListener("volumechange", render);
  render();
  return el("div", { class: "sound-controls" }, mute, volume);
}

/** @type {AudioContext | null} */
let audioContext = null;

/**
 * Marks `node` as speaking (class and data-speaking) while the stream's audio is loud enough.
 * Returns a function that stops watching.
 * @param {MediaStream} stream
 * @param {HTMLElement} node
 */
export function watchSpeaking(stream, node) {
  let stop = () => {};
  const start = () => {
    if (!stream.getAudioTracks().length || typeof AudioContext === "undefined") return false;
    stop = meter(stream, node);
    return true;
  };
  // A remote stream may get its audio track after its video track.
  const later = () => {
    if (start()) stream.removeEventListener("addtrack", later);
  };
  if (!start()) stream.addEventListener("addtrack", later);
  return () => {
    stream.removeEventListener("addtrack", later);
    stop();
  };
}

/**
 * @param {MediaStream} stream
 * @param {HTMLElement} node
 */
function meter(stream, node) {
  audioContext = audioContext || new AudioContext();
  const context = audioContext;
  if (context.state === "suspended") context.resume().catch(() => {});
  const source = context.createMediaStreamSource(stream);
  const analyser = context.createAnalyser();
  // ~85 ms of sound per look, a look every 80 ms: short sounds are not missed; the indicator
  // stays on a little after the last loud moment so it does not flicker between words.
  analyser.fftSize = 2 ** 12; // samples
  source.connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  let loudAt = 0;
  const timer = setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    const now = Date.now();
    if (rmsLevel(samples) > SPEAKING_LEVEL) loudAt = now;
    const speaking = now - loudAt < SPEAKING_HOLD_MS;
    node.classList.toggle("speaking", speaking);
    node.dataset.speaking = String(speaking);
  }, 80);
  return () => {
    clearInterval(timer);
    source.disconnect();
  };
}

/**
 * A tile: the video, the person's name, and (for remote tiles) their sound controls.
 * @param {{id: string, name: string, stream: MediaStream, local?: boolean, play?: (video: HTMLVideoElement) => void}} options
 */
export function videoTile({ id, name, stream, local = false, play }) {
  const video = /** @type {HTMLVideoElement} */ (
    el("video", { id: `video-${id}`, autoplay: true, playsinline: true, "aria-label": `Video of ${name}` })
  );
  const label = el("span", { class: "tile-name" }, name);
  const status = el("span", { class: "tile-status muted small" });
  const figure = el(
    "figure",
    { class: `tile${local ? " local" : ""}`, id: `tile-${id}`, dataset: { speaking: "false" } },
    video,
    el("figcaption", {}, el("span", { class: "speaking-dot", "aria-hidden": "true" }), label, status),
  );
  if (local) {
    video.muted = true; // never play your own microphone back to you
  } else {
    figure.append(soundControls(video, name));
  }
  video.srcObject = stream;
  if (!local && play) play(video);
  const stopWatching = watchSpeaking(stream, figure);
  return {
    node: figure,
    video,
    /** @param {MediaStream} next */
    setStream(next) {
      if (video.srcObject !== next) {
        video.srcObject = next;
        if (!local && play) play(video);
      }
    },
    /** @param {string} text  e.g. "microphone off" */
    setStatus(text) {
      status.textContent = text ? ` · ${text}` : "";
    },
    stop() {
      stopWatching();
      figure.remove();
    },
  };
}
