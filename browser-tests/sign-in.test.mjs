import { test } from "node:test";
import assert from "node:assert/strict";
import { checkAccessibility, chooseLanguage, setUp, totp } from "./support.mjs";

const PASSWORD = "blåbär cykel regnjacka";

test("a person enrols on a phone, adds a passkey and signs in with it", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const context = await browser.newContext({ locale: "sv-SE", viewport: { width: 390, height: 844 } });
  const page = await context.newPage();

  await page.goto(server.invite("anna@lillby.se", "Anna Berg"));
  await checkAccessibility(page, "enrolment");
  await page.fill("#password", PASSWORD);
  await page.fill("#password_again", PASSWORD);
  const secret = (await page.textContent("code.secret")).trim();
  await page.fill("#code", totp(secret));
  await page.click("main button[type=submit]");
  await page.waitForSelector("ol.codes");
  const codes = await page.$$eval("ol.codes code", (els) => els.map((e) => e.textContent));
  assert.equal(codes.length, 10);
  await checkAccessibility(page, "recovery codes");

  await page.click("main a.button");
  await page.waitForURL("**/o/lillby/sign-in");
  await checkAccessibility(page, "sign-in");
  await page.fill("#email", "anna@lillby.se");
  await page.fill("#password", PASSWORD);
  await page.click("main button[type=submit]");
  await page.waitForURL("**/sign-in/code");
  await checkAccessibility(page, "second factor");
  await page.fill("#code", codes[0]);
  await page.click("main form button[type=submit]");
  await page.waitForURL(`${server.base}/`);
  assert.match(await page.textContent("main"), /Anna Berg/);
  await checkAccessibility(page, "home");

  // Chromium's virtual authenticator stands in for the phone's passkey store.
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await page.goto(`${server.base}/passkeys`);
  await checkAccessibility(page, "passkeys");
  await page.click("button[data-passkey=register]");
  await page.waitForSelector("text=Nyckel 1");
  await checkAccessibility(page, "passkeys with one");

  await page.goto(`${server.base}/sessions`);
  await checkAccessibility(page, "sessions");
  await page.click("header .sign-out button");
  await page.waitForURL("**/sign-in");
  await page.fill("#email", "anna@lillby.se");
  await page.fill("#password", PASSWORD);
  await page.click("main button[type=submit]");
  await page.waitForURL("**/sign-in/code");
  await page.click("button[data-passkey=sign-in]");
  await page.waitForURL(`${server.base}/`);
  assert.match(await page.textContent("main"), /Anna Berg/);
});

test("the sign-in page passes axe in Danish and English, and works without JavaScript", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  for (const [lang, heading] of [["da", "Log ind"], ["en", "Sign in"]]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.base}/sign-in?lang=${lang}`);
    assert.equal(await page.getAttribute("html", "lang"), lang);
    assert.equal((await page.textContent("h1")).trim(), heading);
    await checkAccessibility(page, `sign-in (${lang})`);
    await context.close();
  }
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const page = await noScript.newPage();
  await page.goto(`${server.base}/sign-in`);
  await chooseLanguage(page, "en");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await page.fill("#email", "nobody@lillby.se");
  await page.fill("#password", "not the password");
  await page.click("main button[type=submit]");
  await page.waitForSelector("p.error");
  assert.match(await page.textContent("main"), /Wrong email address or password/);
  await noScript.close();

  // axe runs as a script, so the error page is checked with scripts on.
  const withScript = await browser.newContext();
  const checked = await withScript.newPage();
  await checked.goto(`${server.base}/sign-in`);
  await chooseLanguage(checked, "en");
  await checked.fill("#email", "nobody@lillby.se");
  await checked.fill("#password", "not the password");
  await checked.click("main button[type=submit]");
  await checked.waitForSelector("p.error");
  await checkAccessibility(checked, "sign-in error (en)");
});
