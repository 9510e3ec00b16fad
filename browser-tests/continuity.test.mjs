import { test } from "node:test";
import assert from "node:assert/strict";
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
