// Signing in and out, shared by the account page and the admin page.
//
// The page body has a sign-in section and an app section. While the server
// says "no session", the sign-in section shows; calls that failed wait and are
// sent again after a successful sign-in.

import { ApiError, ErrorCode, call, onAuthNeeded, setCsrf } from "./api.js";
import { $, showError } from "./dom.js";

/**
 * opts: {
 *   role: "account" | "admin",            the role this page needs
 *   loginPath: "api/v1/login" | ...,      where the sign-in form posts
 *   credentials(): object,                the JSON body from the form's fields
 *   onSignedIn(session, changed): void,   render the app for this session
 *   onSignedOut(): void,                  forget everything shown
 * }
 * The page has #signin (with form #signin-form, error #signin-error, button
 * #signin-submit), #app, and a #signout button.
 */
export function setupSession(opts) {
  let session = null;
  let waiters = [];

  function showSignIn(message) {
    $("app").hidden = true;
    $("signout").hidden = true;
    $("signin").hidden = false;
    showError($("signin-error"), message ? { message } : null);
    const first = $("signin-form").querySelector("input:not([type=hidden]):not([hidden])");
    first.focus();
  }

  function showApp() {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("signout").hidden = false;
  }

  onAuthNeeded(
    () =>
      new Promise((resolve) => {
        waiters.push(resolve);
        showSignIn(session ? "Your session has ended. Sign in again to continue." : "");
      }),
  );

  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = $("signin-submit");
    button.disabled = true;
    showError($("signin-error"), null);
    try {
      const next = await call(opts.loginPath, {
        method: "POST",
        json: opts.credentials(),
        auth: false,
      });
      if (next.role !== opts.role) {
        throw new ApiError(403, ErrorCode.FORBIDDEN, `these are not ${opts.role} credentials`);
      }
      setCsrf(next.csrf);
      $("signin-form").reset();
      const changed =
        !session || session.role !== next.role || session.account !== next.account;
      session = next;
      showApp();
      const pending = waiters;
      waiters = [];
      if (pending.length > 0) {
        pending.forEach((resolve) => resolve());
        if (changed) {
          opts.onSignedIn(session, true);
        }
      } else {
        opts.onSignedIn(session, changed);
      }
    } catch (err) {
      showError($("signin-error"), err);
      $("signin-form").querySelector("input[type=password]").select();
    } finally {
      button.disabled = false;
    }
  });

  $("signout").addEventListener("click", async () => {
    try {
      await call("api/v1/logout", { method: "POST", auth: false });
    } catch (err) {
      // Already signed out is fine; anything else is worth saying, after signing out here.
      if (err.status !== 401) {
        showSignIn("Signed out here, but the server said: " + err.message);
      }
    }
    setCsrf("");
    session = null;
    opts.onSignedOut();
    if ($("signin").hidden) {
      showSignIn("");
    }
  });

  return {
    /** Find the current session (signing in if needed), then render the app. */
    async start() {
      let current = await call("api/v1/session");
      while (current.role !== opts.role) {
        // Signed in, but not as what this page needs (e.g. an account on the admin page).
        await new Promise((resolve) => {
          waiters.push(resolve);
          showSignIn(`Signed in as ${current.email || current.role}; this page needs the ${opts.role}.`);
        });
        current = await call("api/v1/session");
      }
      if (current.csrf) {
        setCsrf(current.csrf);
      }
      if (session === null) {
        session = current;
        showApp();
        opts.onSignedIn(session, true);
      }
    },
    get current() {
      return session;
    },
  };
}
