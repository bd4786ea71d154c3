import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";

/** The cookie holding the signed-in token: HttpOnly, SameSite=Strict, only sent to `/console`. */
const SESSION_COOKIE = "grove_console";
/** A random value the sign-in form must echo (login CSRF: no session to derive a token from yet). */
const SIGN_IN_COOKIE = "grove_console_sign_in";
/** A one-shot message for the page a change redirects to. */
const FLASH_COOKIE = "grove_console_flash";
const PATH = "/console";

function cookieOptions(c: Context, maxAge?: number): CookieOptions {
  const forwarded = c.req.header("x-forwarded-proto");
  const secure = forwarded ? forwarded === "https" : new URL(c.req.url).protocol === "https:";
  return { path: PATH, httpOnly: true, sameSite: "Strict", secure, ...(maxAge ? { maxAge } : {}) };
}

/** The token of the signed-in user, if any. Whether it still works is the API's to say. */
export function sessionToken(c: Context): string | undefined {
  const token = getCookie(c, SESSION_COOKIE);
  return token && /^[\x21-\x7e]{1,512}$/.test(token) ? token : undefined;
}

export function startSession(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, cookieOptions(c));
  deleteCookie(c, SIGN_IN_COOKIE, cookieOptions(c));
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
}

/**
 * The CSRF token of a session's forms: an HMAC of a fixed label keyed by the session's own token,
 * so it needs no storage, differs per token and cannot be made without the token.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("grove-console-csrf").digest("base64url");
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Whether a form's `csrf` field is the session's. */
export function csrfMatches(sessionToken: string, submitted: unknown): boolean {
  return typeof submitted === "string" && same(csrfTokenFor(sessionToken), submitted);
}

/** A fresh value for the sign-in form, also set as a cookie the form post must match. */
export function issueSignInCsrf(c: Context): string {
  const value = randomBytes(24).toString("base64url");
  setCookie(c, SIGN_IN_COOKIE, value, cookieOptions(c, 3600));
  return value;
}

/** Whether a sign-in post echoes the value its form was rendered with. */
export function signInCsrfMatches(c: Context, submitted: unknown): boolean {
  const expected = getCookie(c, SIGN_IN_COOKIE);
  return expected !== undefined && typeof submitted === "string" && same(expected, submitted);
}

/** Leaves a message for the next page shown (after a redirect). */
export function setFlash(c: Context, message: string): void {
  setCookie(c, FLASH_COOKIE, message.slice(0, 300), cookieOptions(c, 60));
}

/** The message left by `setFlash`, once. */
export function takeFlash(c: Context): string | undefined {
  const value = getCookie(c, FLASH_COOKIE);
  if (value === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, cookieOptions(c));
  return value;
}
