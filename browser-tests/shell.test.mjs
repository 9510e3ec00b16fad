import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkAccessibility, enrolAndSignIn, setUp } from "./support.mjs";

/** A language's page messages from the text catalogue: id → value (one-line ones). */
function catalogue(code) {
  const file = new URL(`../crates/i18n/locales/${code}/pages.ftl`, import.meta.url);
  const messages = new Map();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([a-z][a-z0-9-]*) = (.*)$/.exec(line);
    if (m && !m[1].startsWith("language-")) messages.set(m[1], m[2]);
  }
  return messages;
}

/**
 * The English catalogue's words a page in `code` must not show: the literal runs of every
 * English message that is not also that language's (phrases are looked for anywhere,
 * single words as a whole text).
 */
function englishOnly(code) {
  const english = catalogue("en");
  const local = catalogue(code);
  const words = new Set();
  const phrases = new Set();
  for (const [id, value] of english) {
    // The same in both (Status, Administrator): not a sign of English.
    if (local.get(id) === value) continue;
    for (const part of value.split(/\{[^}]*\}/)) {
      const literal = part.trim().replace(/[.:·,;]+$/, "").trim();
      if (literal.length >= 3) (literal.includes(" ") ? phrases : words).add(literal);
    }
  }
  return { words, phrases };
}

/** English catalogue texts on the page: in its text and in the attributes people hear. */
async function englishOn(page, english) {
  const texts = await page.evaluate(() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const text = walker.currentNode.textContent.trim();
      if (text) found.push(text);
    }
    for (const e of document.querySelectorAll("[aria-label], [placeholder], [title], [alt]")) {
      for (const name of ["aria-label", "placeholder", "title", "alt"]) {
        const value = e.getAttribute(name);
        if (value) found.push(value.trim());
      }
    }
    return found;
  });
  const body = texts.join("\n");
  return [
    ...[...english.phrases].filter((p) => body.includes(p)),
    ...texts.filter((t) => english.words.has(t.replace(/[.:]+$/, ""))),
  ];
}

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

/** Where the document is wider than the screen, and what sticks out. */
async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return null;
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > width + 1)
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + e.className : ""}`);
    return `${document.documentElement.scrollWidth} px > ${width} px: ${wide.join(", ")}`;
  });
}

test("every page has the same menu and fits a 390 px phone screen", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const admin = await enrolAndSignIn(browser, server, "it@lillby.se", "Ida Tech", "admin");
  const member = await enrolAndSignIn(browser, server, "anna@lillby.se", "Anna Berg");

  // Something on every page: a channel with a message, an alert to both, a position.
  server.cli("admin", "create-user", "--org", "lillby", "--email", "api@lillby.se", "--name", "Api", "--role", "admin");
  const token = server.cli("admin", "token", "--org", "lillby", "--user", "api@lillby.se", "--scope", "read,write,admin").trim();
  const call = api(server, token);
  const people = await call("GET", "/people");
  const ids = people.filter((p) => ["Ida Tech", "Anna Berg"].includes(p.name)).map((p) => p.id);
  const channel = await call("POST", "/channels", { kind: "org", name: "Alla i Lillby", classification: "Intern" });
  const posted = await call("POST", `/channels/${channel.id}/messages`, {
    body: "Samling i stadshusets matsal kl 10. Ta med laddare och ytterkläder, vi vet inte hur länge strömavbrottet varar.",
  });
  const alert = await call("POST", "/alerts", {
    message: "Strömavbrott i stadshuset. Kan du komma?",
    severity: "critical",
    recipients: { people: ids },
    options: ["Ja", "Nej"],
    exercise: true,
    step_minutes: 5,
  });
  const template = await call("POST", "/alert-templates", {
    name: "IT-avbrott: samla krisledningen",
    alert: { message: "IT-avbrott. Samling i stabsrummet kl 08.00. Kan du komma?", severity: "critical",
      recipients: { people: ids }, options: ["Ja", "Nej"], exercise: true },
  });
  const tib = await call("POST", "/positions", { slug: "tib", name: "Tjänsteperson i beredskap" });
  await call("PUT", `/positions/${tib.id}/holders`, { holders: ids });
  const planFile = join(mkdtempSync(join(tmpdir(), "plan-")), "it-avbrott.yaml");
  writeFileSync(planFile, [
    "title: Totalt IT-avbrott",
    "alarm:", "  positions: [tib]", "  message: IT-avbrott", "  severity: critical",
    "action_cards:", "  - position: tib", "    tasks:", "      - after_minutes: 0", "        task: Ring IT-beredskapen.",
  ].join("\n") + "\n");
  server.cli("import", "plan", "--org", "lillby", planFile);
  await admin.goto(`${server.base}/plans`);
  const plan = await admin.getAttribute("main li.plan-row a", "href");
  const incident = await call("POST", `${plan}/activate`, { severity: "warning", exercise: true });
  await call("POST", `/incidents/${incident.id}/decisions`, { what: "Stäng medborgarkontoret till klockan 12", who: "Krisledningsgruppen", why: "Inga system fungerar", significant: true });
  await call("POST", `/incidents/${incident.id}/reports`, { conditions: "Telefonin ligger nere\nE-posten ligger nere", actions: "Reservtelefoner delas ut" });
  await call("POST", `/incidents/${incident.id}/reports`, { conditions: "Telefonin ligger nere\nE-posten fungerar igen", actions: "Reservtelefoner delas ut", needs: "Fler laddare" });
  // A priority list the TiB's holders open, and the incident's calls made from it.
  await call("PUT", "/priority-list/access", { positions: [tib.id], calls_days: 30 });
  const listFile = join(mkdtempSync(join(tmpdir(), "prio-")), "prioritet.csv");
  writeFileSync(listFile, [
    "name,address,phone,need,contact_person",
    "Astrid Holm,Storgatan 12 lgh 1101,070-174 06 94,Trygghetslarm; hemtjänst fyra gånger om dygnet,Lars Holm (son) 070-174 06 95",
    "Gösta Ek,Byvägen 3,,Syrgas i hemmet,",
  ].join("\n") + "\n");
  server.cli("import", "priority-list", "--org", "lillby", listFile);
  await call("POST", `/incidents/${incident.id}/priority-calls`);
  const email = await call("POST", "/services", { name: "E-post", owner: "IT-avdelningen", alternative: "Ring växeln" });
  await call("POST", `/services/${email.id}/status`, { state: "down", impact: "Ingen e-post in eller ut.", workaround: "Ring i stället." });
  // A notice on the status page, published from the (exercise) incident and updated once,
  // through the forms.
  await admin.goto(`${server.base}/notices/new?incident=${incident.id}`);
  await admin.fill("#title_sv", "Telefonin ligger nere");
  await admin.fill("#body_sv", "Ring reservnumret 0480-45 00 00.\nBesök receptionen i stadshuset.");
  await admin.click("main form button[type=submit]");
  await admin.waitForURL(`**/incidents/${incident.id}#notices`);
  const notice = await admin.getAttribute("#notices ~ ul a[href^='/notices/']", "href");
  await admin.goto(`${server.base}${notice}`);
  await admin.check("#phase-identified");
  await admin.fill("#body_sv", "Leverantören felsöker växeln.");
  await admin.click("main form button[type=submit]");
  await admin.waitForURL(`**/incidents/${incident.id}#notices`);
  const accounts = await admin.goto(`${server.base}/admin/accounts`).then(() =>
    admin.$$eval("main a[href^='/admin/accounts/']", (as) => as.map((a) => a.getAttribute("href"))));

  // [path, the menu item marked as where one is, or none]
  const pages = [
    ["/", "/"],
    [`/c/${channel.id}`, "/#channels"],
    [`/c/${channel.id}/t/${posted.id}`, "/#channels"],
    [`/c/${channel.id}/members`, "/#channels"],
    ["/channels/new", "/#channels"],
    ["/search?q=samling", "/search"],
    ["/alerts", "/alerts"],
    ["/alerts/new", "/alerts"],
    [`/alerts/new?template=${template.id}`, "/alerts"],
    [`/alerts/templates/${template.id}`, "/alerts"],
    [`/alerts/${alert.id}`, "/alerts"],
    ["/positions", "/positions"],
    ["/directory", "/directory"],
    ["/directory?q=tj%C3%A4nsteperson", "/directory"],
    ["/directory/print", "/directory"],
    ["/incidents", "/incidents"],
    ["/incidents?closed=1", "/incidents"],
    [`/incidents/${incident.id}`, "/incidents"],
    [`/incidents/${incident.id}/log`, "/incidents"],
    [`/incidents/${incident.id}/decision`, "/incidents"],
    [`/incidents/${incident.id}/report`, "/incidents"],
    [`/incidents/${incident.id}/after-action`, "/incidents"],
    [`/incidents/${incident.id}/calls`, "/incidents"],
    ["/priority-list", "/directory"],
    ["/plans", "/plans"],
    ["/plans/new", "/plans"],
    [plan, "/plans"],
    [`${plan}/edit`, "/plans"],
    ["/activation-pin", null],
    ["/services", "/services"],
    ["/services/new", "/services"],
    [`/services/${email.id}/status`, "/services"],
    [`/services/${email.id}/edit`, "/services"],
    ["/services/public", "/services"],
    [`/notices/new?incident=${incident.id}`, "/services"],
    ["/notices/new?kind=maintenance", "/services"],
    [notice, "/services"],
    [`/press/new?incident=${incident.id}`, "/services"],
    ["/sessions", null],
    ["/passkeys", null],
    ["/admin/accounts", "/admin/accounts"],
    [accounts[0], "/admin/accounts"],
    ["/admin/activation", "/admin/accounts"],
    ["/admin/tokens", "/admin/accounts"],
    ["/admin/settings", "/admin/accounts"],
  ];
  const menu = ["/", "/#channels", "/alerts", "/positions", "/directory", "/incidents", "/plans", "/services", "/search", "/admin/accounts"];
  for (const [path, current] of pages) {
    await admin.goto(`${server.base}${path}`);
    const items = await admin.$$eval("nav.main-menu a", (as) => as.map((a) => a.getAttribute("href")));
    assert.deepEqual(items, menu, `${path}: the administrator's menu`);
    const marked = await admin.$$eval("nav.main-menu a[aria-current=page]", (as) => as.map((a) => a.getAttribute("href")));
    assert.deepEqual(marked, current ? [current] : [], `${path}: where one is`);
    assert.equal(await overflow(admin), null, `${path} is wider than the phone`);
    await checkAccessibility(admin, `${path} at 390 px`);
  }

  // Bulk activation's preview: who would get a link and who cannot be reached, without script.
  await admin.goto(`${server.base}/admin/activation`);
  await admin.click("main form button[type=submit]");
  assert.equal(await admin.locator("#preview-heading").count(), 1, "the preview is shown");
  assert.equal(await overflow(admin), null, "the activation preview is wider than the phone");
  await checkAccessibility(admin, "the activation preview at 390 px");

  // The public status page: no menu, fits the phone, passes axe, in every language.
  for (const code of ["sv", "da", "nb", "en"]) {
    await admin.goto(`${server.base}/status/lillby?lang=${code}`);
    assert.equal(await admin.getAttribute("html", "lang"), code);
    assert.equal(await admin.locator("nav.main-menu").count(), 0, "no staff menu on the public page");
    assert.equal(await admin.locator("article.notice-exercise").count(), 1, "the drill's notice, marked");
    assert.equal(await overflow(admin), null, `the status page in ${code} is wider than the phone`);
    await checkAccessibility(admin, `the status page in ${code}`);
  }

  // Subscribing from the status page: its link, the form in every language, a bad address
  // named beside its field, then the page saying what happens next; all without script.
  await admin.goto(`${server.base}/status/lillby?lang=sv`);
  await admin.click("a[href^='/status/lillby/subscribe']");
  assert.ok(admin.url().includes("/status/lillby/subscribe?lang=sv"), admin.url());
  for (const code of ["sv", "da", "nb", "en"]) {
    await admin.goto(`${server.base}/status/lillby/subscribe?lang=${code}`);
    assert.equal(await admin.getAttribute("html", "lang"), code);
    assert.equal(await overflow(admin), null, `the subscription form in ${code} is wider than the phone`);
    await checkAccessibility(admin, `the subscription form in ${code}`);
    if (code !== "en") {
      assert.deepEqual(await englishOn(admin, englishOnly(code)), [], `the subscription form in ${code} shows English`);
    }
  }
  await admin.goto(`${server.base}/status/lillby/subscribe?lang=sv`);
  await admin.check("#channel-sms");
  await admin.fill("#address", "12");
  await admin.click("form.stack button[type=submit]");
  assert.equal(await admin.locator("#address-error").count(), 1, "the bad number is named at its field");
  assert.equal(await admin.getAttribute("#address", "aria-invalid"), "true");
  await checkAccessibility(admin, "the subscription form with a problem");
  await admin.fill("#address", "070-123 45 67");
  await admin.click("form.stack button[type=submit]");
  assert.match(await admin.textContent("main"), /Vi har skickat en länk/);
  await checkAccessibility(admin, "the subscription form, sent");
  // A link that no longer works says so, in the page's language.
  await admin.goto(`${server.base}/status/lillby/unsubscribe/AAAA?lang=da`);
  assert.match(await admin.textContent("main"), /Linket gælder ikke længere/);
  await checkAccessibility(admin, "an unsubscribe link that no longer works");

  // Read in Swedish, Danish and Norwegian, no page shows a text of the English catalogue.
  for (const code of ["sv", "da", "nb"]) {
    const english = englishOnly(code);
    assert.ok(english.phrases.size > 150, `the ${code} check has English to look for`);
    for (const [path] of pages) {
      const separator = path.includes("?") ? "&" : "?";
      await admin.goto(`${server.base}${path}${separator}lang=${code}`);
      assert.equal(await admin.getAttribute("html", "lang"), code);
      assert.deepEqual(await englishOn(admin, english), [], `${path} in ${code} shows English`);
    }
  }

  // A member's menu has what a member may open, and the pages fit too.
  for (const path of ["/", "/positions", "/directory", "/incidents", `/incidents/${incident.id}`, "/plans", plan, "/services", "/search", "/sessions"]) {
    await member.goto(`${server.base}${path}`);
    const items = await member.$$eval("nav.main-menu a", (as) => as.map((a) => a.getAttribute("href")));
    assert.deepEqual(items, ["/", "/#channels", "/positions", "/directory", "/incidents", "/plans", "/services", "/search"], `${path}: a member's menu`);
    assert.equal(await overflow(member), null, `${path} is wider than the phone (member)`);
  }
});
