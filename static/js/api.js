// @ts-check
// Fetch wrapper for the REST API: same-origin session cookie, the CSRF header
// on writes, JSON in and out, and errors shown to the user.
import { toast } from "./ui.js";

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {any} body
   */
  constructor(status, body) {
    super((body && (body.detail || body.message)) || `Request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * api("/api/posts/", {method: "POST", body: {text}}) -> parsed JSON (or null on 204).
 * Errors are thrown as ApiError and, unless {quiet: true}, shown as a toast.
 * @param {string} path
 * @param {{method?: string, body?: unknown, quiet?: boolean, params?: Record<string, unknown>}} [options]
 * @returns {Promise<any>}
 */
export async function api(path, { method = "GET", body, quiet = false, params } = {}) {
  const url = new URL(path, location.origin);
  if (params) {
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
    }
  }
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE.has(method)) headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (!quiet) toast("Network error: the server could not be reached.", "error");
    throw new ApiError(0, { detail: "Network error" });
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 || (response.status === 403 && data && data.code === "not_authenticated")) {
      location.href = `/login/?next=${encodeURIComponent(location.pathname)}`;
    }
    if (!quiet) toast(error.message, "error");
    throw error;
  }
  return data;
}

// Lists come paginated ({results: [...]}) or as a bare array; accept both.
export function results(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.results)) return data.results;
  return [];
}
