import { test } from "node:test";
import assert from "node:assert/strict";
import { checkAccessibility, enrolAndSignIn, setUp } from "./support.mjs";

test("two people talk in a channel, live, and an announcement is confirmed", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  // The crisis lead on a laptop, Anna on a phone.
  const lead = await enrolAndSignIn(browser, server, "lead@lillby.se", "Leo Lind", "crisis_lead",
    { viewport: { width: 1280, height: 800 } });
  const anna = await enrolAndSignIn(browser, server, "anna@lillby.se", "Anna Berg");

  await lead.click("text=Ny kanal");
  await checkAccessibility(lead, "new channel");
  await lead.fill("#name", "Alla i Lillby");
  await lead.selectOption("#kind", "org");
  await lead.click("main button[type=submit]");
  await lead.waitForURL("**/c/*");
  const channelUrl = lead.url();
  await checkAccessibility(lead, "empty channel");

  await anna.reload();
  await checkAccessibility(anna, "home with a channel");
  await anna.click("text=Alla i Lillby");
  await anna.waitForURL(channelUrl);
  // Wait until the live stream is open before anything is posted.
  await anna.waitForFunction(() => document.querySelector(".offline")?.hidden === true);

  await lead.fill("#body", "Mejlen är nere. Vi håller kontakten här.");
  await lead.click("form.post button[type=submit]");
  await lead.waitForSelector("text=Mejlen är nere. Vi håller kontakten här.");
  // Anna's phone shows it without a reload.
  await anna.waitForSelector("text=Mejlen är nere. Vi håller kontakten här.", { timeout: 5000 });

  await lead.fill("#body", "Alla: läs och bekräfta rutinen för telefonväxeln.");
  await lead.check("#announcement");
  await lead.click("form.post button[type=submit]");
  await anna.waitForSelector("text=Jag har läst", { timeout: 5000 });
  await checkAccessibility(anna, "channel with an announcement");
  await anna.click("text=Jag har läst");
  await anna.waitForSelector(".message.announcement");
  assert.equal(await anna.isVisible("text=Jag har läst"), false);

  await lead.reload();
  await lead.click("text=Vem har läst?");
  await lead.waitForSelector("table.roster");
  assert.match(await lead.textContent("main"), /Bekräftat: 1 \/ 1/);
  await checkAccessibility(lead, "roster");

  // Anna mentions the lead: after "@le" the names that fit are offered under the field;
  // Enter puts the whole name in place.
  await anna.click("#body");
  await anna.keyboard.type("Tack @le");
  await anna.waitForSelector("#mention-list li[role=option]");
  assert.deepEqual(await anna.$$eval("#mention-list li", (li) => li.map((l) => l.textContent)), ["Leo Lind"]);
  assert.equal(await anna.getAttribute("#body", "aria-activedescendant"), "mention-0");
  await checkAccessibility(anna, "mention suggestions");
  await anna.keyboard.press("Enter");
  assert.equal(await anna.inputValue("#body"), "Tack @Leo Lind ");
  assert.equal(await anna.isVisible("#mention-list"), false);
  await anna.keyboard.type("för rutinen.");
  await anna.click("form.post button[type=submit]");
  await anna.waitForSelector("text=Tack @Leo Lind för rutinen.");

  // Anna answers in the thread without JavaScript.
  const noScript = await browser.newContext({ locale: "sv-SE", javaScriptEnabled: false, storageState: await anna.context().storageState() });
  const plain = await noScript.newPage();
  await plain.goto(channelUrl);
  await plain.click("text=Svara >> nth=0");
  await plain.fill("#body", "Uppfattat.");
  await plain.click("form.post button[type=submit]");
  await plain.waitForSelector("text=Uppfattat.");
  await noScript.close();

  // Found again by search ("mejl" finds "Mejlen"); the index follows within moments.
  await anna.goto(`${server.base}/search`);
  await checkAccessibility(anna, "search");
  for (let attempt = 0; attempt < 10; attempt++) {
    await anna.fill("#q", "mejl");
    await anna.click("form[role=search] button");
    await anna.waitForLoadState();
    if (await anna.isVisible("text=Vi håller kontakten här")) break;
    await anna.waitForTimeout(500);
  }
  assert.match(await anna.textContent("main ol"), /Vi håller kontakten här/);
  await checkAccessibility(anna, "search results");
  await anna.click("main ol a");
  await anna.waitForURL(`${channelUrl}#m-*`);
});

test("a channel opened once stays readable offline, and nothing is kept after signing out", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const page = await enrolAndSignIn(browser, server, "anna@lillby.se", "Anna Berg");
  const manifest = await page.evaluate(async () => {
    const link = document.querySelector("link[rel=manifest]");
    return (await fetch(link.href)).json();
  });
  assert.equal(manifest.start_url, "/");
  assert.equal(manifest.display, "standalone");

  await page.click("text=Ny kanal");
  await page.fill("#name", "Vattenläckan");
  await page.click("main button[type=submit]");
  await page.waitForURL("**/c/*");
  await page.fill("#body", "Samling vid reservlokalen kl. 14.");
  await page.click("form.post button[type=submit]");
  await page.waitForSelector("text=Samling vid reservlokalen kl. 14.");
  const channelUrl = page.url().split("#")[0];
  // Once the service worker looks after the page, opening the channel keeps a copy.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.goto(channelUrl);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.goto(channelUrl);
  await page.waitForSelector("text=Samling vid reservlokalen kl. 14.");
  // The contact directory, opened once, is kept too: whom to call when the network is gone.
  await page.goto(`${server.base}/directory`);
  await page.waitForSelector("h1");

  await page.context().setOffline(true);
  await page.goto(channelUrl);
  await page.waitForSelector("text=Samling vid reservlokalen kl. 14.");
  await page.waitForSelector(".offline:not([hidden])");
  await page.goto(`${server.base}/directory`);
  assert.equal((await page.textContent("h1")).trim(), "Kontaktlista");
  await page.context().setOffline(false);

  await page.goto(`${server.base}/`);
  assert.ok((await page.evaluate(async () => (await caches.keys()).length)) > 0);
  await page.click("header .sign-out button");
  await page.waitForURL("**/sign-in");
  assert.equal(await page.evaluate(async () => (await caches.keys()).length), 0, "caches cleared");
});

test("an administrator redacts text posted by mistake, on a page that passes axe", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const admin = await enrolAndSignIn(browser, server, "chef@lillby.se", "Karin Chef", "admin");
  await admin.click("text=Ny kanal");
  await admin.fill("#name", "Stab");
  await admin.click("main button[type=submit]");
  await admin.waitForURL("**/c/*");
  await admin.fill("#body", "Anmälare 19800101-1234 ringde om vattnet");
  await admin.click("main form.post button[type=submit]");
  await admin.waitForSelector("li.message");
  await admin.click("li.message >> text=Versioner och maskering");
  await admin.waitForURL("**/redact");
  await checkAccessibility(admin, "records view and redaction");
  assert.match(await admin.textContent("main"), /19800101-1234/);
  await admin.fill("#reason", "Personnummer i fel kanal");
  await admin.click("main form button[type=submit]");
  await admin.waitForURL("**/c/*");
  await checkAccessibility(admin, "channel with a redacted message");
  const text = await admin.textContent("main");
  assert.doesNotMatch(text, /19800101-1234/);
  assert.match(text, /Texten är maskerad av en administratör/);

  // A stranger's sign-in page names no organisation once there are two.
  server.cli("admin", "create-org", "--slug", "norrby", "--name", "Norrby kommun");
  const context = await browser.newContext({ locale: "sv-SE", viewport: { width: 390, height: 844 } });
  const stranger = await context.newPage();
  await stranger.goto(server.base + "/sign-in");
  await checkAccessibility(stranger, "sign-in asking for the organisation");
  assert.doesNotMatch(await stranger.content(), /lillby|norrby/i);
  await stranger.goto(server.base + "/o/lillby/sign-in");
  assert.match(await stranger.textContent("main"), /Lillby kommun/);
});
