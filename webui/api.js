// The JSON API client: CSRF header on every call, errors as ApiError, and when
// the session is missing or expired, sign in again and retry the call that failed.

import { ErrorCode } from "./errorcodes.js";

export { ErrorCode };

const CSRF_KEY = "moxhooks.csrf";
// Codes meaning "sign in (again)".
const AUTH_CODES = new Set([ErrorCode.NO_AUTH, ErrorCode.BAD_AUTH]);

/** An error from the API (or the network), with the server's code and message. */
export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body; // The whole error answer, e.g. {"code","message","id"}.
  }
}

let authHandler = null;
let authWaiting = null;

/**
 * Set the function called when the server says the session is missing or bad.
 * It shows the sign-in form and returns a promise that resolves once signed in
 * (after which the failed call is sent again) or rejects if the user gives up.
 */
export function onAuthNeeded(fn) {
  authHandler = fn;
}

function needAuth() {
  if (authWaiting === null) {
    authWaiting = Promise.resolve(authHandler()).finally(() => {
      authWaiting = null;
    });
  }
  return authWaiting;
}

export function setCsrf(token) {
  if (token) {
    sessionStorage.setItem(CSRF_KEY, token);
  } else {
    sessionStorage.removeItem(CSRF_KEY);
  }
}

export function csrf() {
  return sessionStorage.getItem(CSRF_KEY) || "";
}

/** The error the server sent in resp, as an ApiError. */
export async function errorOf(resp) {
  let code = "http" + resp.status;
  let message = resp.statusText || "request failed";
  let body = null;
  try {
    body = await resp.json();
    if (body && typeof body.code === "string") {
      code = body.code;
      message = String(body.message || code);
    }
  } catch {
    // Not JSON, e.g. a proxy's error page: keep the HTTP status text.
  }
  if (resp.status === 429 && !/try again/i.test(message)) {
    const wait = resp.headers.get("Retry-After");
    message += wait ? ` (try again in ${wait} seconds)` : " (try again later)";
  }
  return new ApiError(resp.status, code, message, body);
}

function urlOf(path, query) {
  const url = new URL(path, document.baseURI);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") {
      url.searchParams.set(k, String(v));
    }
  }
  return url;
}

/**
 * Send one API request and return the fetch Response once it is OK.
 * opts: {method, query, json, body, contentType, signal, auth (default true)}.
 * With auth, a 401 noAuth/badAuth asks for sign-in and sends the request again.
 */
export async function request(path, opts = {}) {
  const auth = opts.auth !== false;
  for (;;) {
    const headers = { Accept: "application/json" };
    let body = opts.body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.contentType) {
      headers["Content-Type"] = opts.contentType;
    }
    if (csrf()) {
      headers["X-CSRF-Token"] = csrf();
    }
    let resp;
    try {
      resp = await fetch(urlOf(path, opts.query), {
        method: opts.method || "GET",
        headers,
        body,
        credentials: "same-origin",
        signal: opts.signal,
      });
    } catch (e) {
      if (e.name === "AbortError") {
        throw e;
      }
      throw new ApiError(0, "network", "cannot reach moxhooks: " + e.message);
    }
    if (resp.ok) {
      return resp;
    }
    const err = await errorOf(resp);
    if (auth && resp.status === 401 && AUTH_CODES.has(err.code) && authHandler) {
      setCsrf("");
      await needAuth();
      continue;
    }
    throw err;
  }
}

/** A JSON API call: the parsed answer, or null for an empty one. */
export async function call(path, opts = {}) {
  const resp = await request(path, opts);
  const text = await resp.text();
  return text ? JSON.parse(text) : null;
}

/**
 * Upload body with XMLHttpRequest, for upload progress (fetch has none).
 * onProgress(loaded, total) is called while sending; then onProgress(null) while
 * the server works. Resolves to the parsed JSON answer; signs in again on 401.
 */
export async function upload(path, body, contentType, onProgress) {
  for (;;) {
    const { status, text, retryAfter } = await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", urlOf(path));
      xhr.setRequestHeader("Content-Type", contentType);
      xhr.setRequestHeader("Accept", "application/json");
      if (csrf()) {
        xhr.setRequestHeader("X-CSRF-Token", csrf());
      }
      xhr.upload.addEventListener("progress", (ev) => {
        onProgress(ev.loaded, ev.lengthComputable ? ev.total : 0);
      });
      xhr.upload.addEventListener("load", () => onProgress(null));
      xhr.addEventListener("load", () =>
        resolve({
          status: xhr.status,
          text: xhr.responseText,
          retryAfter: xhr.getResponseHeader("Retry-After"),
        }),
      );
      xhr.addEventListener("error", () =>
        reject(new ApiError(0, "network", "cannot reach moxhooks: the upload failed")),
      );
      xhr.send(body);
    });
    if (status >= 200 && status < 300) {
      return text ? JSON.parse(text) : null;
    }
    const err = await errorOf(
      new Response(text, { status, headers: retryAfter ? { "Retry-After": retryAfter } : {} }),
    );
    if (status === 401 && AUTH_CODES.has(err.code) && authHandler) {
      setCsrf("");
      await needAuth();
      continue;
    }
    throw err;
  }
}
