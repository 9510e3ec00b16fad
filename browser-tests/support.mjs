// Helpers for the browser tests: a real `beredskap` server on a free port, Debian's
// Chromium, RFC 6238 codes, and an axe-core check.
import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const BIN = process.env.TEST_BEREDSKAP_BIN;

/** Why these tests cannot run here, or null. With REQUIRE_BROWSER=1 that is a failure. */
export function missing() {
  if (!BIN || !existsSync(BIN)) return `TEST_BEREDSKAP_BIN (${BIN}) is not a built beredskap binary`;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  return null;
}

export function skipOrFail(t) {
  const why = missing();
  if (!why) return false;
  if (process.env.REQUIRE_BROWSER === "1") throw new Error(`REQUIRE_BROWSER=1 but ${why}`);
  t.skip(`SKIPPED: ${why}`);
  return true;
}

/** A data directory with one organisation, and a server on it; `extraEnv` adds settings. */
export async function startServer(extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "beredskap-browser-"));
  const env = {
    ...process.env,
    BEREDSKAP_DATA_DIR: dir,
    BEREDSKAP_LISTEN: "127.0.0.1:0",
    // A name, not an address: passkeys need one; any port is allowed on localhost.
    BEREDSKAP_PUBLIC_URL: "http://localhost",
    RUST_LOG: "warn",
    ...extraEnv,
  };
  const cli = (...args) => execFileSync(BIN, args, { env, encoding: "utf8" });
  cli("admin", "create-org", "--slug", "lillby", "--name", "Lillby kommun");
  const child = spawn(BIN, ["serve"], { env, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    lines.on("line", (line) => {
      const m = line.match(/^Beredskap is listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(m[1]);
    });
  });
  const base = `http://localhost:${port}`;
  return {
    base,
    /** Runs the command line against this server's data. */
    cli,
    /** Creates an account and returns its enrolment link on this server. */
    invite(email, name, role = "member") {
      const out = cli("admin", "create-user", "--org", "lillby", "--email", email, "--name", name, "--role", role);
      const link = out.split("\n").find((l) => l.includes("/enrol/")).trim();
      return base + new URL(link).pathname;
    },
    stop() {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic",
    ],
  });
}

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The six-digit code an authenticator app shows now (RFC 6238, SHA-1, 30 s). */
export function totp(secretBase32, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const mac = createHmac("sha1", base32(secretBase32)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

/** Fails on any WCAG 2.1 A/AA violation axe finds on the page as it is, whatever its impact
 * (minor and moderate too). */
export async function checkAccessibility(page, name) {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const bad = result.violations;
  if (bad.length > 0) {
    const detail = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target).join(", ")}`);
    throw new Error(`${name}: accessibility violations:\n${detail.join("\n")}`);
  }
}

/**
 * Enrols a new person on `server` in a fresh browser context (a phone by default) and
 * signs them in with a recovery code; returns the page, on the start page.
 */
export async function enrolAndSignIn(browser, server, email, name, role = "member", options = {}) {
  const context = await browser.newContext({
    locale: "sv-SE", viewport: { width: 390, height: 844 }, ...options,
  });
  const page = await context.newPage();
  await page.goto(server.invite(email, name, role));
  const password = "blåbär cykel regnjacka";
  await page.fill("#password", password);
  await page.fill("#password_again", password);
  const secret = (await page.textContent("code.secret")).trim();
  await page.fill("#code", totp(secret));
  await page.click("main button[type=submit]");
  await page.waitForSelector("ol.codes");
  // The recovery codes fit the screen, each on one line, to be copied or printed whole.
  const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  if (!fits) throw new Error("the recovery codes page is wider than the screen");
  const broken = await page.$$eval("ol.codes code", (els) => els.filter((e) => e.getClientRects().length > 1).length);
  if (broken > 0) throw new Error(`${broken} recovery codes are broken over two lines`);
  const codes = await page.$$eval("ol.codes code", (els) => els.map((e) => e.textContent));
  await page.click("main a.button");
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("main button[type=submit]");
  await page.waitForURL("**/sign-in/code");
  // The app's code for this time step was used at enrolment; a recovery code does not wait.
  await page.fill("#code", codes[0]);
  await page.click("main form button[type=submit]");
  await page.waitForURL(`${server.base}/`);
  return page;
}

/**
 * A server and a browser for one test, both stopped when it ends; null when the test is
 * skipped (no Chromium or binary, and REQUIRE_BROWSER unset).
 */
export async function setUp(t, extraEnv = {}) {
  if (skipOrFail(t)) return null;
  const server = await startServer(extraEnv);
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    server.stop();
  });
  return { server, browser };
}

/** Chooses a language with the buttons at the top of every page, as a person does. */
export async function chooseLanguage(page, lang) {
  await Promise.all([
    page.waitForNavigation(),
    page.click(`form.langs button[value=${lang}]`),
  ]);
}
