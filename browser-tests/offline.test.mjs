import { test } from "node:test";
import assert from "node:assert/strict";
import { enrolAndSignIn, setUp } from "./support.mjs";

test("a message written offline waits on the phone and lands once; a stale alert cannot be answered", async (t) => {
  const setup = await setUp(t);
  if (!setup) return;
  const { server, browser } = setup;
  const page = await enrolAndSignIn(browser, server, "anna@lillby.se", "Anna Berg");
  server.cli("admin", "create-user", "--org", "lillby", "--email", "api@lillby.se", "--name", "Api", "--role", "admin");
  const token = server.cli("admin", "token", "--org", "lillby", "--user", "api@lillby.se", "--scope", "read,write,admin").trim();
  const call = async (method, path, body) => {
    const r = await fetch(`${server.base}/api/v1/orgs/lillby${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.clone().text()}`);
    return r.json();
  };
  const channel = await call("POST", "/channels", { kind: "org", name: "Alla i Lillby", classification: "Intern" });
  const anna = (await call("GET", "/people")).find((p) => p.name === "Anna Berg");
  await call("POST", "/alerts", {
    message: "Strömavbrott i stadshuset. Kan du komma?",
    severity: "critical",
    recipients: { people: [anna.id] },
    options: ["Ja", "Nej"],
    exercise: true,
    step_minutes: 5,
  });

  // Offline in the channel: the message waits on the device, marked so.
  await page.goto(`${server.base}/c/${channel.id}`);
  await page.context().setOffline(true);
  await page.fill("#body", "Jag är på väg, framme 10.30.");
  await page.click("form.post button[type=submit]");
  await page.waitForSelector("ol.messages li.waiting");
  assert.match(await page.textContent("ol.messages li.waiting"), /Jag är på väg, framme 10\.30\.\s*Väntar på att skickas/);
  assert.equal(await page.isVisible("#offline-notice"), true, "the page says it is offline");
  assert.equal(await page.inputValue("#body"), "", "the box is free for the next message");
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem("beredskap-outbox")));
  assert.equal(kept.length, 1);
  // As if a second tab sent the same kept message too: same key, so it lands once. The
  // form token kept with it has gone stale (signed in again since): the page's own is used.
  await page.evaluate(() => {
    const items = JSON.parse(localStorage.getItem("beredskap-outbox"));
    const stale = { ...items[0], fields: { ...items[0].fields, csrf: "gammal" } };
    localStorage.setItem("beredskap-outbox", JSON.stringify([stale, items[0]]));
  });

  // Back online: it is sent, once.
  await page.context().setOffline(false);
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("beredskap-outbox") || "[]").length === 0);
  assert.equal(await page.locator("ol.messages li.waiting").count(), 0);
  const messages = await call("GET", `/channels/${channel.id}/messages`);
  const list = Array.isArray(messages) ? messages : messages.messages;
  assert.equal(list.filter((m) => m.body === "Jag är på väg, framme 10.30.").length, 1, JSON.stringify(list));
  await page.reload();
  assert.equal(await page.locator("ol.messages li", { hasText: "Jag är på väg" }).count(), 1);

  // The alert on the start page: offline, it may be stale and cannot be answered.
  await page.goto(`${server.base}/`);
  const answer = page.locator("form.answers button").first();
  assert.equal(await answer.isEnabled(), true);
  await page.context().setOffline(true);
  await page.waitForSelector("#offline-notice", { state: "visible" });
  assert.match(await page.textContent("#offline-notice"), /kan vara inaktuellt, och larm kan inte besvaras/);
  assert.equal(await answer.isDisabled(), true, "no answer while offline");
  await page.context().setOffline(false);
  await page.waitForSelector("#offline-notice", { state: "hidden" });
  assert.equal(await answer.isEnabled(), true);
});
