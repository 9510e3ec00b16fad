import { test } from "node:test";
import assert from "node:assert/strict";
import { checkAccessibility, enrolAndSignIn, setUp } from "./support.mjs";

test("an administrator creates an account, a token and changes settings on a phone", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const page = await enrolAndSignIn(browser, server, "it@lillby.se", "Ida Tech", "admin", { locale: "da-DK" });

  await page.click("text=Administration");
  await page.waitForURL("**/admin/accounts");
  await checkAccessibility(page, "accounts (da)");
  await page.fill("#name", "Sven Ek");
  await page.fill("#login", "sven@lillby.se");
  await page.selectOption("#role", "crisis_lead");
  await page.fill("#mobile", "12");
  await page.click("form[action='/admin/accounts'] button[type=submit]");
  // The problem at its field and in the summary, which links to the field.
  await page.waitForSelector("#mobile-error");
  assert.equal(await page.getAttribute("#mobile", "aria-invalid"), "true");
  assert.match(await page.textContent("#problems a[href='#mobile']"), /^Mobilnummer: /);
  assert.equal(await page.inputValue("#name"), "Sven Ek", "what was typed is kept");
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
