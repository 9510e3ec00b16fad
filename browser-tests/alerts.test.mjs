import { test } from "node:test";
import assert from "node:assert/strict";
import { checkAccessibility, enrolAndSignIn, setUp } from "./support.mjs";

/** Calls the API as the organisation's administrator. */
function api(server, token) {
  return async (method, path, body) => {
    const response = await fetch(`${server.base}/api/v1/orgs/lillby${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
    return response.json();
  };
}

test("a crisis lead sends an alert, a member answers on the phone, the roster follows live", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const lead = await enrolAndSignIn(browser, server, "lead@lillby.se", "Leo Lind", "crisis_lead",
    { viewport: { width: 1280, height: 800 } });
  const anna = await enrolAndSignIn(browser, server, "anna@lillby.se", "Anna Berg");

  // The register: a crisis group with both of them.
  server.cli("admin", "create-user", "--org", "lillby", "--email", "admin@lillby.se", "--name", "Admin", "--role", "admin");
  const token = server.cli("admin", "token", "--org", "lillby", "--user", "admin@lillby.se", "--scope", "read,write,admin").trim();
  const call = api(server, token);
  const people = await call("GET", "/people");
  const ids = people.filter((p) => ["Leo Lind", "Anna Berg"].includes(p.name)).map((p) => p.id);
  const group = await call("POST", "/groups", { slug: "stab", name: "Krisledningsstaben" });
  await call("PUT", `/groups/${group.id}/members`, { members: ids });

  const tib = await call("POST", "/positions", { slug: "tib", name: "Tjänsteperson i beredskap" });
  await call("PUT", `/positions/${tib.id}/holders`, { holders: ids });

  // Who is on call, for anyone signed in.
  await anna.goto(`${server.base}/positions`);
  await anna.waitForSelector("text=I beredskap nu");
  await checkAccessibility(anna, "positions");
  await anna.goto(`${server.base}/`);

  await lead.reload();
  await lead.click("nav.main-menu a[href=\"/alerts\"]");
  await lead.waitForURL("**/alerts");
  await checkAccessibility(lead, "alerts");
  await lead.click("text=Skicka larm");
  await checkAccessibility(lead, "new alert");
  // A mistake is named and what was typed stays.
  await lead.fill("#message", "Strömavbrott i stadshuset. Kan du komma?");
  await lead.click("main form button[type=submit]");
  await lead.waitForSelector("[role=alert]");
  // Named in the summary, which links to the field where it is said again.
  assert.match(await lead.textContent("[role=alert]"), /Personer: måste ange minst en person, grupp eller funktion/);
  assert.equal(await lead.getAttribute("#people", "aria-invalid"), "true");
  assert.match(await lead.textContent("#people-error"), /måste ange minst en person/);
  await lead.click("[role=alert] a[href='#people']");
  assert.equal(await lead.evaluate(() => document.activeElement.id), "people");
  await checkAccessibility(lead, "new alert with an error");
  assert.equal(await lead.inputValue("#message"), "Strömavbrott i stadshuset. Kan du komma?");
  await lead.check("text=Krisledningsstaben >> nth=0");
  await lead.fill("#options", "Ja, Nej");
  await lead.check("#exercise");
  await lead.click("main form button[type=submit]");
  await lead.waitForURL(/\/alerts\/[0-9a-f-]+$/);
  await lead.waitForSelector("text=0 av 2 har svarat");
  await checkAccessibility(lead, "alert roster");

  // Anna sees it first thing on her phone and answers with one press.
  await anna.reload();
  await anna.waitForSelector("text=Larm till dig");
  await checkAccessibility(anna, "home with an alert");
  assert.match(await anna.textContent(".alarm"), /ÖVNING/);
  await anna.click(".alarm button:has-text('Ja')");
  await anna.waitForURL(`${server.base}/`);
  assert.equal(await anna.isVisible("text=Larm till dig"), false);

  // The lead's roster fills in without a reload.
  await lead.waitForSelector("text=1 av 2 har svarat", { timeout: 10000 });
  assert.match(await lead.textContent("table.roster"), /Anna Berg/);
  // The roster on a phone: the table scrolls sideways in a region the keyboard can reach.
  await lead.setViewportSize({ width: 390, height: 844 });
  await checkAccessibility(lead, "alert roster on a phone");
  await lead.setViewportSize({ width: 1280, height: 800 });

  // The same page in Danish and English.
  const alertUrl = lead.url();
  await lead.goto(`${alertUrl}?lang=da`);
  await lead.waitForSelector("text=Svarliste");
  await lead.goto(`${alertUrl}?lang=en`);
  await lead.waitForSelector("text=1 of 2 have answered");
  await checkAccessibility(lead, "alert roster in English");
  await lead.goto(`${alertUrl}?lang=sv`);

  // Resolving: the page says so and offers nothing more to do.
  await lead.click("text=Avsluta larmet");
  await lead.waitForSelector("text=Avslutat");
  assert.equal(await lead.isVisible("text=Återkalla larmet"), false);
  await lead.goto(`${server.base}/alerts`);
  assert.match(await lead.textContent("main"), /Pågående larm \(övningar räknas inte\): 0/);
});

test("the pages reached from outside pass axe: the answer link, a thread, the one-time code", async (t) => {
  // An SMS gateway of our own (46elks' API): whatever the server sends lands here.
  const { createServer } = await import("node:http");
  const sent = [];
  const gateway = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      sent.push(Object.fromEntries(new URLSearchParams(body)));
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ id: `s${sent.length}` }));
    });
  });
  await new Promise((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  t.after(() => gateway.close());
  const setup = await setUp(t, {
    BEREDSKAP_SMS__PROVIDER: "46elks",
    BEREDSKAP_SMS__URL: `http://127.0.0.1:${gateway.address().port}/a1/sms`,
    BEREDSKAP_SMS__USERNAME: "u1",
    BEREDSKAP_SMS__PASSWORD: "p1",
    BEREDSKAP_SMS__SENDER: "Beredskap",
  });
  if (!setup) return;
  const { server, browser } = setup;
  const { writeFileSync, mkdtempSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const csv = join(mkdtempSync(join(tmpdir(), "people-")), "people.csv");
  writeFileSync(csv, "external_id,name,title,work_mobile,private_email,groups\nanna,Anna Berg,,070-174 06 05,,\n");
  server.cli("import", "people", "--org", "lillby", csv);
  server.cli("alert", "send", "--org", "lillby", "--message", "Vattenläcka. Kan du komma?",
    "--person", "anna", "--option", "Ja", "--option", "Nej");
  const deadline = Date.now() + 15000;
  while (sent.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(sent.length, 1, "the SMS reached the gateway");
  const link = sent[0].message.match(/https?:\/\/\S+\/a\/\S+/)[0];

  // Anna opens the link from the SMS on her phone, signed in nowhere.
  const context = await browser.newContext({ locale: "sv-SE", viewport: { width: 390, height: 844 } });
  const phone = await context.newPage();
  await phone.goto(server.base + new URL(link).pathname);
  await checkAccessibility(phone, "answer page");
  assert.match(await phone.textContent("main"), /Vattenläcka/);
  await phone.click("main button >> text=Ja");
  await checkAccessibility(phone, "answer page, answered");

  // The one-time-code page, where an organisation allows it.
  server.cli("admin", "org-settings", "--org", "lillby", "--fallback-sign-in", "on");
  await phone.goto(server.base + "/sign-in/one-time-code?org=lillby");
  await checkAccessibility(phone, "one-time code");

  // A thread.
  const lead = await enrolAndSignIn(browser, server, "bo@lillby.se", "Bo Ek", "crisis_lead");
  await lead.click("text=Ny kanal");
  await lead.fill("#name", "Stab");
  await lead.click("main button[type=submit]");
  await lead.waitForURL("**/c/*");
  await lead.fill("#body", "Lägesbild kl. 10");
  await lead.click("main form.post button[type=submit]");
  await lead.waitForSelector("li.message");
  await lead.click("li.message >> text=Svara");
  await lead.waitForURL("**/t/*");
  await checkAccessibility(lead, "thread");
});

test("the roster of an alert to many shows a page at a time, filters by state, and passes axe on a phone", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const lead = await enrolAndSignIn(browser, server, "lead@lillby.se", "Leo Lind", "crisis_lead",
    { viewport: { width: 1280, height: 800 } });
  // 150 in the group "alla": every other one with a phone, the rest unreachable.
  const { writeFileSync, mkdtempSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "people-"));
  const csv = join(dir, "people.csv");
  let rows = "external_id,name,title,work_mobile,private_email,groups\n";
  for (let i = 0; i < 150; i++) {
    const phone = i % 2 === 0 ? `070-1${String(i).padStart(6, "0")}` : "";
    rows += `s${i},Student ${String(i).padStart(3, "0")},,${phone},,alla\n`;
  }
  writeFileSync(csv, rows);
  server.cli("import", "people", "--org", "lillby", csv);
  const sent = server.cli("alert", "send", "--org", "lillby", "--message", "Vattnet är otjänligt.", "--group", "alla");
  const id = sent.match(/[0-9a-f]{8}-[0-9a-f-]{27}/)[0];
  await lead.goto(`${server.base}/alerts/${id}`);
  await lead.waitForSelector("text=Sida 1 av 2");
  assert.equal(await lead.locator("table.roster tbody tr").count(), 100);
  await checkAccessibility(lead, "roster of many");
  if (process.env.SCREENSHOTS) await lead.screenshot({ path: join(process.env.SCREENSHOTS, "roster-1280.png") });
  await lead.click("text=Nästa sida");
  await lead.waitForSelector("text=Sida 2 av 2");
  assert.equal(await lead.locator("table.roster tbody tr").count(), 50);
  // Those nothing can reach, alone.
  await lead.click("nav.roster-filter a[href='?state=unreachable']");
  await lead.waitForSelector("nav.roster-filter a[aria-current=page][href='?state=unreachable']");
  assert.equal(await lead.locator("table.roster tbody tr").count(), 75);
  await lead.setViewportSize({ width: 390, height: 844 });
  await checkAccessibility(lead, "roster of many on a phone");
  if (process.env.SCREENSHOTS) await lead.screenshot({ path: join(process.env.SCREENSHOTS, "roster-390.png") });
  await lead.goto(`${lead.url().split("?")[0]}?lang=da`);
  await lead.waitForSelector("text=Side 1 af 2");
  if (process.env.SCREENSHOTS) await lead.screenshot({ path: join(process.env.SCREENSHOTS, "roster-390-da.png") });
  // An old address past the end (page 9 of those unreachable, who fill one page) shows
  // that last page, not an empty table under the counts.
  const beyond = `${server.base}/alerts/${id}?state=unreachable&page=9`;
  for (const [lang, width] of [["sv", 390], ["da", 1280]]) {
    await lead.setViewportSize({ width, height: 844 });
    await lead.goto(`${beyond}&lang=${lang}`);
    await lead.waitForSelector("table.roster tbody tr");
    assert.equal(await lead.locator("table.roster tbody tr").count(), 75);
    assert.doesNotMatch(await lead.textContent("main"), /(Sida|Side) 9/);
    await checkAccessibility(lead, `roster past its end, ${lang}`);
    if (process.env.SCREENSHOTS) await lead.screenshot({ path: join(process.env.SCREENSHOTS, `roster-past-end-${width}-${lang}.png`), fullPage: false });
  }
});
