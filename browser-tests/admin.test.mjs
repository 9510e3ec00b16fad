import { test } from "node:test";
import assert from "node:assert/strict";
import { checkAccessibility, launch, skipOrFail, startServer, totp } from "./support.mjs";

const PASSWORD = "blåbär cykel regnjacka";

test("an administrator creates an account, a token and changes settings on a phone", async (t) => {
  if (skipOrFail(t)) return;
  const server = await startServer();
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    server.stop();
  });
  const context = await browser.newContext({ locale: "da-DK", viewport: { width: 390, height: 844 } });
  const page = await context.newPage();

  await page.goto(server.invite("it@lillby.se", "Ida Tech", "admin"));
  await page.fill("#password", PASSWORD);
  await page.fill("#password_again", PASSWORD);
  const secret = (await page.textContent("code.secret")).trim();
  await page.fill("#code", totp(secret));
  await page.click("main button[type=submit]");
  await page.waitForSelector("ol.codes");
  const codes = await page.$$eval("ol.codes code", (els) => els.map((e) => e.textContent));
  await page.click("main a.button");
  await page.fill("#email", "it@lillby.se");
  await page.fill("#password", PASSWORD);
  await page.click("main button[type=submit]");
  await page.waitForURL("**/sign-in/code");
  // The app code's time step was used at enrolment; a recovery code does not wait.
  await page.fill("#code", codes[0]);
  await page.click("main form button[type=submit]");
  await page.waitForURL(`${server.base}/`);

  await page.click("text=Administration");
  await page.waitForURL("**/admin/accounts");
  await checkAccessibility(page, "accounts (da)");
  await page.fill("#name", "Sven Ek");
  await page.fill("#login", "sven@lillby.se");
  await page.selectOption("#role", "crisis_lead");
  await page.fill("#mobile", "12");
  await page.click("form[action='/admin/accounts'] button[type=submit]");
  await page.waitForSelector("#account-error");
  assert.match(await page.textContent("#account-error"), /Mobilnummer/);
  await checkAccessibility(page, "accounts with an error (da)");
  await page.fill("#mobile", "");
  await page.fill("#private_email", "sven@example.org");
  await page.click("form[action='/admin/accounts'] button[type=submit]");
  // No SMS or email provider here: the link is shown to hand over.
  await page.waitForSelector(".notice code.secret");
  assert.match(await page.textContent(".notice code.secret"), /\/enrol\//);
  assert.equal((await page.textContent("h1")).trim(), "Sven Ek");
  await checkAccessibility(page, "account (da)");

  await page.goto(`${server.base}/admin/tokens?lang=en`);
  await page.fill("#label", "sync");
  await page.check("#scope-write");
  await page.click("form[action='/admin/tokens'] button[type=submit]");
  await page.waitForSelector("#new-token");
  assert.match(await page.textContent("#new-token"), /^bsk_/);
  await checkAccessibility(page, "tokens (en)");

  await page.goto(`${server.base}/admin/settings?lang=sv`);
  await page.check("#fallback_sign_in");
  await page.click("main button[type=submit]");
  await page.waitForSelector("p.notice");
  assert.equal(await page.isChecked("#fallback_sign_in"), true);
  await checkAccessibility(page, "settings (sv)");
});
