import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkAccessibility, enrolAndSignIn, setUp } from "./support.mjs";

test("on a phone a crisis lead adds a service, marks it down with one tap and describes it; a member sees it", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const lead = await enrolAndSignIn(browser, server, "lead@lillby.se", "Leo Lind", "crisis_lead");
  const anna = await enrolAndSignIn(browser, server, "anna@lillby.se", "Anna Berg");

  await lead.click("nav.main-menu a[href=\"/services\"]");
  await lead.waitForURL("**/services");
  await lead.waitForSelector("text=Inga tjänster på listan ännu.");
  await lead.click("text=Lägg till tjänst");
  // A name of only spaces (the browser lets it through) is named at its field, and what
  // was typed stays.
  await lead.fill("#name", "   ");
  await lead.fill("#owner", "IT-avdelningen, servicedesk");
  await lead.click("main form button[type=submit]");
  await lead.waitForSelector("[role=alert]");
  assert.equal(await lead.getAttribute("#name", "aria-invalid"), "true");
  assert.equal(await lead.inputValue("#owner"), "IT-avdelningen, servicedesk");
  await checkAccessibility(lead, "new service with an error");
  await lead.fill("#name", "E-post");
  await lead.fill("#alternative", "Ring i stället; Beredskap för intern kommunikation");
  await lead.click("main form button[type=submit]");
  await lead.waitForURL(/\/services#service-/);
  await lead.waitForSelector(".state-badge:has-text('Okänt')");
  await checkAccessibility(lead, "services");

  // One tap: down.
  await lead.click(".state-choices button:has-text('Nere')");
  await lead.waitForSelector(".state-badge:has-text('Nere')");
  assert.match(await lead.textContent(".services-summary"), /1 nere/);
  // Then what it means and what to do meanwhile.
  await lead.click("text=Beskriv läget");
  await checkAccessibility(lead, "service state form");
  await lead.fill("#impact", "Ingen e-post in eller ut.");
  await lead.fill("#workaround", "Ring externa kontakter; internt i Beredskap.");
  await lead.click("main form button[type=submit]");
  await lead.waitForSelector("text=Ingen e-post in eller ut.");
  await checkAccessibility(lead, "services with one down");

  // Anna reads it on her phone, without buttons to change it.
  await anna.click("nav.main-menu a[href=\"/services\"]");
  await anna.waitForSelector(".state-badge:has-text('Nere')");
  assert.match(await anna.textContent("main"), /Ingen e-post in eller ut\./);
  assert.match(await anna.textContent("main"), /Ändrat .* av Leo Lind/);
  assert.equal(await anna.locator(".state-choices").count(), 0);
  await checkAccessibility(anna, "services for a member");
});

test("on a phone a crisis lead reads a plan's action cards, corrects a task and approves the plan", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const lead = await enrolAndSignIn(browser, server, "lead@lillby.se", "Leo Lind", "crisis_lead");
  server.cli("admin", "create-user", "--org", "lillby", "--email", "admin@lillby.se", "--name", "Admin", "--role", "admin");
  const token = server.cli("admin", "token", "--org", "lillby", "--user", "admin@lillby.se", "--scope", "read,write,admin").trim();
  const response = await fetch(`${server.base}/api/v1/orgs/lillby/positions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ slug: "tib", name: "Tjänsteperson i beredskap" }),
  });
  assert.equal(response.status, 201);
  const file = join(mkdtempSync(join(tmpdir(), "plan-")), "it-outage.yaml");
  writeFileSync(file, [
    "title: Totalt IT-avbrott",
    "activation:", "  criteria:", "    - Flera system nere i mer än 30 minuter.",
    "alarm:", "  positions: [tib]", "  message: IT-avbrott, krisledningen samlas.", "  severity: critical",
    "action_cards:", "  - position: tib", "    duties: Leder arbetet.", "    tasks:",
    "      - after_minutes: 0", "        task: Ring IT-beredskapen.",
    "      - after_minutes: 15", "        task: Markera påverkade tjänster.",
  ].join("\n") + "\n");
  server.cli("import", "plan", "--org", "lillby", file);

  await lead.click("nav.main-menu a[href=\"/plans\"]");
  await lead.waitForSelector("text=Totalt IT-avbrott");
  await checkAccessibility(lead, "plans");
  await lead.click("text=Totalt IT-avbrott");
  await lead.waitForSelector("h2:has-text('Åtgärdskort')");
  assert.match(await lead.textContent(".action-card"), /Efter 15 min: Markera påverkade tjänster\./);
  await checkAccessibility(lead, "a plan");

  // A task line with a mistake is named at its card and line.
  await lead.click("main a:has-text('Redigera')");
  await checkAccessibility(lead, "plan editor");
  await lead.fill("#card-0-tasks", "0 | Ring IT-beredskapen.\nom en kvart | Markera påverkade tjänster.");
  await lead.click("main form.plan-form button[type=submit]");
  await lead.waitForSelector("[role=alert]");
  assert.match(await lead.textContent("[role=alert]"), /Åtgärdskort 1, Uppgifter \(rad 2\)/);
  assert.equal(await lead.getAttribute("#card-0-tasks", "aria-invalid"), "true");
  await checkAccessibility(lead, "plan editor with an error");
  await lead.fill("#card-0-tasks", "0 | Ring IT-beredskapen.\n10 | Markera påverkade tjänster.");
  await lead.click("main form.plan-form button[type=submit]");
  await lead.waitForSelector("text=Version 2 sparad");
  assert.match(await lead.textContent(".action-card"), /Efter 10 min: Markera påverkade tjänster\./);

  await lead.click("button:has-text('Godkänn version 2')");
  await lead.waitForSelector("text=Godkänd version 2");
  assert.match(await lead.textContent("main"), /Granskas senast \d{4}-\d{2}-\d{2}/);
  await checkAccessibility(lead, "an approved plan");
});

test("on a phone a crisis lead activates the IT outage plan as a drill; two people tick tasks; the lead ends it", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const lead = await enrolAndSignIn(browser, server, "lead@lillby.se", "Leo Lind", "crisis_lead");
  const anna = await enrolAndSignIn(browser, server, "anna@lillby.se", "Anna Berg");
  server.cli("admin", "create-user", "--org", "lillby", "--email", "admin@lillby.se", "--name", "Admin", "--role", "admin");
  const token = server.cli("admin", "token", "--org", "lillby", "--user", "admin@lillby.se", "--scope", "read,write,admin").trim();
  const call = async (method, path, body) => {
    const response = await fetch(`${server.base}/api/v1/orgs/lillby${path}`, {
      method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(response.ok, `${method} ${path}: ${response.status}`);
    return response.json();
  };
  const people = await call("GET", "/people");
  const byName = (n) => people.find((p) => p.name === n).id;
  const tib = await call("POST", "/positions", { slug: "tib", name: "Tjänsteperson i beredskap" });
  await call("PUT", `/positions/${tib.id}/holders`, { holders: [byName("Anna Berg"), byName("Leo Lind")] });
  const it = await call("POST", "/positions", { slug: "it-jour", name: "IT-beredskap" });
  await call("PUT", `/positions/${it.id}/holders`, { holders: [byName("Leo Lind")] });
  const file = join(mkdtempSync(join(tmpdir(), "plan-")), "it-outage.yaml");
  writeFileSync(file, [
    "title: Totalt IT-avbrott",
    "alarm:", "  positions: [tib, it-jour]", "  message: IT-avbrott, krisledningen samlas.", "  severity: critical",
    "action_cards:",
    "  - position: tib", "    tasks:",
    "      - after_minutes: 0", "        task: Ring IT-beredskapen.",
    "      - after_minutes: 30", "        task: Kontakta länsstyrelsen.", "        at_least: critical",
    "  - position: it-jour", "    tasks:",
    "      - after_minutes: 0", "        task: Bekräfta avbrottet.",
  ].join("\n") + "\n");
  server.cli("import", "plan", "--org", "lillby", file);

  await lead.click("nav.main-menu a[href=\"/plans\"]");
  await lead.click("text=Totalt IT-avbrott");
  await lead.selectOption("#severity", "critical");
  await lead.check("#exercise");
  await lead.click("form.activate button[type=submit]");
  await lead.waitForURL(/\/incidents\/[0-9a-f-]+$/);
  await lead.waitForSelector("text=3 av 3 uppgifter kvar");
  assert.match(await lead.textContent("h1"), /ÖVNING/);
  await checkAccessibility(lead, "an incident");

  // Anna, on her phone, finds it and ticks her task; the lead ticks another.
  await anna.click("nav.main-menu a[href=\"/incidents\"]");
  await anna.click("text=Totalt IT-avbrott");
  await anna.locator("li.task", { hasText: "Ring IT-beredskapen." }).locator("button:has-text('Klar')").click();
  await anna.waitForSelector("text=2 av 3 uppgifter kvar");
  await lead.locator("li.task", { hasText: "Bekräfta avbrottet." }).locator("button:has-text('Klar')").click();
  await lead.waitForSelector("text=1 av 3 uppgifter kvar");
  assert.match(await lead.textContent("li.task:has-text('Ring IT-beredskapen.')"), /Klar .* av Anna Berg/);
  await checkAccessibility(lead, "an incident with tasks done");

  // The lead hands the scribe's role to Anna and ends the incident.
  await lead.selectOption("#role", "scribe");
  await lead.selectOption("#person", { label: "Anna Berg" });
  await lead.click("button:has-text('Lämna över')");
  await lead.waitForURL(/#roles$/);
  assert.match(await lead.textContent("dl.facts"), /Dokumentatör\s*Anna Berg/);

  // The lead records a decision as significant: it waits for Anna, the scribe, to approve.
  await lead.click("text=Registrera beslut");
  await lead.fill("#what", "Medborgarkontoret stänger till klockan 12.");
  await lead.fill("#who", "Krisledningsgruppen");
  // A why of only spaces (the browser lets it through) is named at its field.
  await lead.fill("#why", "   ");
  await lead.click("main form button[type=submit]");
  await lead.waitForSelector("[role=alert]");
  assert.equal(await lead.getAttribute("#why", "aria-invalid"), "true");
  await checkAccessibility(lead, "a decision without its why");
  await lead.fill("#why", "Inga system fungerar; personalen behövs i telefonen.");
  await lead.check("#significant");
  await lead.click("main form button[type=submit]");
  await lead.waitForURL(/#waiting$/);
  await anna.reload();
  await anna.click("article.waiting button:has-text('Godkänn')");
  await anna.waitForSelector("article:not(.waiting):has-text('Medborgarkontoret stänger till klockan 12.')");
  assert.match(await anna.textContent("#decisions ~ article"), /Godkänd .* av Anna Berg/);

  // Anna writes the situation report, then the next one from it; the next shows what changed.
  await anna.click("text=Skriv lägesrapport");
  await anna.fill("#conditions", "Telefonin ligger nere.\nE-posten ligger nere.");
  await anna.fill("#actions", "Reservtelefoner delas ut i receptionen.");
  await anna.click("main form button[type=submit]");
  await anna.waitForSelector("article:has-text('Reservtelefoner delas ut i receptionen.')");
  await anna.click("text=Skriv lägesrapport");
  assert.match(await anna.inputValue("#conditions"), /E-posten ligger nere\./);
  await anna.fill("#conditions", "Telefonin ligger nere.\nE-posten fungerar igen.");
  await anna.fill("#needs", "Fler laddare till reservtelefonerna.");
  await checkAccessibility(anna, "a situation report from the last one");
  await anna.click("main form button[type=submit]");
  await anna.waitForSelector("li.added:has-text('E-posten fungerar igen.')");
  assert.match(await anna.textContent("#picture ~ article"), /Borta\s*E-posten ligger nere\./);
  await checkAccessibility(anna, "an incident with its shared picture");

  // The lead marks the email service as working again with one tap.
  await call("POST", "/services", { name: "E-post", owner: "IT-avdelningen" });
  await lead.click("nav.main-menu a[href=\"/services\"]");
  await lead.click(".state-choices button:has-text('Fungerar')");
  await lead.waitForSelector(".state-badge:has-text('Fungerar')");
  await lead.goBack();
  await lead.goBack();

  await lead.click("button:has-text('Avsluta händelsen')");
  await lead.waitForSelector("text=Avslutad");
  assert.equal(await lead.locator("li.task button").count(), 0);
  assert.equal(await lead.locator("text=Skriv lägesrapport").count(), 0);

  // The after-action report: on the page, and as a PDF whose text has the timeline.
  await lead.click("main a.button:has-text('Rapport efter händelsen')");
  await lead.waitForSelector("h2#timeline");
  assert.match(await lead.textContent("ol.timeline"), /Beslut: Medborgarkontoret stänger till klockan 12\./);
  assert.match(await lead.textContent("main"), /E-post/);
  await checkAccessibility(lead, "an after-action report");
  const [download] = await Promise.all([
    lead.waitForEvent("download"),
    lead.click("text=Ladda ner som PDF"),
  ]);
  const pdfPath = join(mkdtempSync(join(tmpdir(), "report-")), "report.pdf");
  await download.saveAs(pdfPath);
  let text = null;
  try {
    text = execFileSync("pdftotext", [pdfPath, "-"], { encoding: "utf8" });
  } catch (e) {
    if (process.env.REQUIRE_BROWSER === "1") throw new Error(`pdftotext (poppler-utils) is needed: ${e.message}`);
    t.diagnostic("SKIPPED reading the PDF: no pdftotext (apt-get install poppler-utils)");
  }
  if (text !== null) {
    assert.match(text, /Tidslinje/);
    assert.match(text, /Beslut: Medborgarkontoret stänger till klockan 12\./);
    assert.match(text, /Händelsen avslutades/);
  }
});

test("the offline kit, written at the command line, opens on a phone with no network and passes axe", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const dir = mkdtempSync(join(tmpdir(), "kit-"));
  const planFile = join(dir, "it-outage.yaml");
  writeFileSync(planFile, [
    "title: Totalt IT-avbrott",
    "alarm:", "  message: IT-avbrott, krisledningen samlas.", "  severity: critical",
    "leadership: Kommundirektören beslutar om krisledningsgruppen ska sammankallas.",
  ].join("\n") + "\n");
  server.cli("import", "plan", "--org", "lillby", planFile);
  server.cli("journal", "checkpoint");
  const kitFile = join(dir, "offline-kit.html");
  server.cli("export", "offline-kit", "--org", "lillby", "--out", kitFile);

  const context = await browser.newContext({ offline: true, viewport: { width: 390, height: 844 }, locale: "sv-SE" });
  const phone = await context.newPage();
  const fetched = [];
  phone.on("request", (r) => { if (!r.url().startsWith("file:")) fetched.push(r.url()); });
  await phone.goto(`file://${kitFile}`);
  assert.match(await phone.textContent("h1"), /Offline-kit/);
  const text = await phone.textContent("main");
  assert.match(text, /Totalt IT-avbrott/);
  assert.match(text, /Kommundirektören beslutar/);
  assert.match(text, /Kontaktlista/);
  assert.match(text, /Kontrollsumma/, "the latest signed checkpoint is in it");
  assert.deepEqual(fetched, [], "nothing is fetched from outside the file");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `fits a 390 px screen (${overflow} px too wide)`);
  await phone.click("nav a[href='#plans']");
  await checkAccessibility(phone, "the offline kit");
  await context.close();
});

test("on a phone an administrator imports the priority list without seeing it; a named holder calls through it in a drill", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const admin = await enrolAndSignIn(browser, server, "it@lillby.se", "Ida Tech", "admin");
  const lead = await enrolAndSignIn(browser, server, "lead@lillby.se", "Leo Lind", "crisis_lead");
  const anna = await enrolAndSignIn(browser, server, "anna@lillby.se", "Anna Berg");
  server.cli("admin", "create-user", "--org", "lillby", "--email", "api@lillby.se", "--name", "Api", "--role", "admin");
  const token = server.cli("admin", "token", "--org", "lillby", "--user", "api@lillby.se", "--scope", "read,write,admin").trim();
  const call = async (method, path, body) => {
    const response = await fetch(`${server.base}/api/v1/orgs/lillby${path}`, {
      method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(response.ok, `${method} ${path}: ${response.status}`);
    return response.json();
  };
  const people = await call("GET", "/people");
  const annaId = people.find((p) => p.name === "Anna Berg").id;
  const home = await call("POST", "/positions", { slug: "hemtjanst", name: "Enhetschef hemtjänst" });
  await call("PUT", `/positions/${home.id}/holders`, { holders: [annaId] });
  const dir = mkdtempSync(join(tmpdir(), "prio-"));
  const bad = join(dir, "fel.csv");
  writeFileSync(bad, "name,address,need,personnummer\nAstrid Holm,Storgatan 12,Trygghetslarm,19400101-1234\n");
  const good = join(dir, "prioritet.csv");
  writeFileSync(good, [
    "name,address,phone,need,contact_person",
    "Astrid Holm,Storgatan 12 lgh 1101,070-174 06 94,Trygghetslarm; hemtjänst fyra gånger om dygnet,Lars Holm (son) 070-174 06 95",
    "Gösta Ek,Byvägen 3,,Syrgas i hemmet,",
  ].join("\n") + "\n");

  // The administrator reaches it from the directory, imports a file with a column too
  // many (refused by line, the value not repeated), then the right one, and names who opens it.
  await admin.goto(`${server.base}/directory`);
  await admin.click("text=Prioritetslistan – invånare med särskilda behov");
  await admin.waitForSelector("text=Ingen lista inläst ännu.");
  await admin.setInputFiles("#file", bad);
  await admin.click("button:has-text('Läs in')");
  await admin.waitForSelector("[role=alert]");
  const problem = await admin.textContent("[role=alert]");
  assert.match(problem, /Rad 1: personnummer/);
  assert.doesNotMatch(problem, /19400101/);
  await checkAccessibility(admin, "a priority list file refused");
  await admin.setInputFiles("#file", good);
  await admin.click("button:has-text('Läs in')");
  await admin.waitForSelector("text=2 personer på listan.");
  assert.doesNotMatch(await admin.textContent("main"), /Astrid/);
  await admin.check("label:has-text('Enhetschef hemtjänst')");
  await admin.fill("#calls_days", "14");
  await admin.click("button:has-text('Spara')");
  await admin.waitForURL(/#access$/);
  assert.equal(await admin.isChecked("label:has-text('Enhetschef hemtjänst')"), true);
  await checkAccessibility(admin, "the priority list for an administrator");

  // Anna holds the position: she sees the list, each number a link to call.
  await anna.goto(`${server.base}/priority-list`);
  await anna.waitForSelector("text=Astrid Holm");
  assert.equal(await anna.getAttribute("a[href^='tel:']", "href"), "tel:+46701740694");
  await checkAccessibility(anna, "the priority list for a holder");

  // A drill: the lead starts the calls from the incident and sees them counted.
  const planFile = join(dir, "it-avbrott.yaml");
  writeFileSync(planFile, "title: Totalt IT-avbrott\n");
  server.cli("import", "plan", "--org", "lillby", planFile);
  const [plan] = await call("GET", "/plans");
  const incident = await call("POST", `/plans/${plan.id}/activate`, { severity: "warning", exercise: true });
  await lead.goto(`${server.base}/incidents/${incident.id}`);
  await lead.click("button:has-text('Börja ringa prioritetslistan')");
  await lead.waitForSelector("text=0 av 2 ringda");
  assert.equal(await lead.locator("text=Öppna samtalslistan").count(), 0);

  // Anna calls: Astrid does not answer, then is handed to home care with a note.
  await anna.goto(`${server.base}/incidents/${incident.id}`);
  await anna.click("text=Öppna samtalslistan");
  await anna.waitForSelector("h2#to-call");
  const astrid = anna.locator("li.task", { hasText: "Astrid Holm" });
  await astrid.locator("button:has-text('Ej nådd')").click();
  await anna.waitForSelector("li.task:has-text('Astrid Holm') .label:has-text('Ej nådd')");
  await anna.fill("li.task:has-text('Astrid Holm') input[name=note]", "Svarar inte, larmet tyst");
  await anna.click("li.task:has-text('Astrid Holm') button:has-text('Till hemtjänsten')");
  await anna.waitForSelector("#escalated ~ ol li:has-text('Astrid Holm')");
  assert.match(await anna.textContent("#escalated ~ ol"), /Svarar inte, larmet tyst/);
  await checkAccessibility(anna, "an incident's priority calls");
  await lead.reload();
  await lead.waitForSelector("text=1 av 2 ringda: 0 nådda, 0 ej nådda, 1 till hemtjänsten.");
});
