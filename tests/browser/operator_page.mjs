// Drives the operator's page in Debian's headless chromium against a running daemon:
//   node operator_page.mjs <base url> <admin token> <flow> <hostile document id>
// The daemon holds one good document and one dead letter whose body holds markup; the mapping on disk
// has been fixed, so replaying the entry from the page lands it; the flow is paused and resumed from
// the page. Exits non-zero on any failure.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, token, flow, hostileId] = process.argv.slice(2);
const timeout = 30000;  // generous: waits for conditions, never for a time
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
let failed = false;
let step = "launch";
let page = null;
try {
  page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  const problems = [];
  let promptAnswer = null;  // the pause's reason, while the test expects its prompt
  page.on("dialog", (d) => {
    if (d.type() === "prompt" && promptAnswer !== null) return d.accept(promptAnswer);
    problems.push("a dialog opened: " + d.message());
    d.dismiss();
  });
  page.on("pageerror", (e) => problems.push("script error: " + e.message));
  // The wrong token's 401 is logged by the browser itself; any other console error is a defect.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().includes("status of 401")) problems.push("console error: " + m.text());
  });

  step = "open /";
  await page.goto(base + "/");
  assert.equal(new URL(page.url()).pathname, "/ui/");

  step = "a wrong token";
  // A wrong token is refused with the daemon's reason and the page stays closed.
  await page.fill("#token", "not-the-token");
  await page.click("#token-form button");
  await page.waitForSelector("#sign-in:not([hidden])");
  await page.waitForFunction(() => document.querySelector("#sign-in-error").textContent.includes("token"));

  step = "sign in, flows table";
  await page.fill("#token", token);
  await page.click("#token-form button");
  await page.waitForSelector(`#flows tr[data-flow="${flow}"]`);
  const row = await page.textContent(`#flows tr[data-flow="${flow}"]`);
  assert.match(row, /webhook/);
  assert.match(row, /1 \/ 0/, "one open document, none cancelled: " + row);
  await page.waitForFunction(() => document.querySelector("#readiness").textContent === "ok");

  step = "dead-letter table";
  // The dead letter (a body the documents path does not fit: no document id yet) names the
  // body's keys, one of them markup from the ERP: shown as text, never run or parsed.
  const deadRow = page.locator("#dead-letters tbody tr").first();
  await deadRow.waitFor();
  assert.equal(await deadRow.locator("td").nth(4).textContent(), "(no id)");
  const reason = await deadRow.locator("td.reason").textContent();
  assert.ok(reason.includes("documents") && reason.includes(hostileId), reason);
  assert.equal(await page.locator("#dead-letters img").count(), 0);

  step = "trace of A-1";
  // Where is it? The trace of the good document, found by its id.
  await page.fill("#find-id", "A-1");
  await page.click("#find-form button");
  await page.waitForSelector("#trace-summary");
  assert.match(await page.textContent("#trace-summary"), /Document A-1 version .*open, work order WO-pages-A-1/);
  await page.waitForFunction(() => document.querySelector("#trace").textContent.includes("acknowledged, partition"));
  assert.match(await page.textContent("#trace-state"), /Work order state: created/);

  step = "trace of an unknown id";
  // A document fieldbridge never saw says so.
  await page.fill("#find-id", "NOPE-9");
  await page.click("#find-form button");
  await page.waitForFunction(() => document.querySelector("#trace").textContent.includes("never seen document NOPE-9"));

  step = "replay";
  // Replay the dead letter from the page: the mapping on disk was fixed before this script ran.
  await deadRow.locator("input[type=checkbox]").check();
  await page.click("#replay");
  await page.waitForFunction(() => document.querySelector("#replay-result").textContent.includes("1 replayed, 0 still failing"));
  await page.waitForFunction(() => document.querySelectorAll("#dead-letters tbody tr").length === 0);
  await page.waitForFunction((f) => document.querySelector(`#flows tr[data-flow="${f}"]`).textContent.includes("2 / 0"), flow);

  step = "pause and resume";
  // Pause asks for a reason, then the flow's row says what is held, since when and why.
  const pauseButton = `#flows tr[data-flow="${flow}"] button.pause`;
  promptAnswer = "ERP upgrade until 04:00";
  await page.click(pauseButton);
  await page.waitForFunction((f) => {
    const held = document.querySelector(`#flows tr[data-flow="${f}"] td.held`);
    return held && held.textContent.includes("intake + writeback since");
  }, flow);
  assert.match(await page.textContent(`#flows tr[data-flow="${flow}"] td.held`), /ERP upgrade until 04:00/);
  promptAnswer = null;
  assert.equal(await page.textContent(pauseButton), "Resume");
  await page.click(pauseButton);
  await page.waitForFunction((f) => !document.querySelector(`#flows tr[data-flow="${f}"] td.held`) &&
    document.querySelector(`#flows tr[data-flow="${f}"] button.pause`).textContent === "Pause", flow);

  step = "trace of the hostile id";
  // The hostile id's trace renders as text too.
  await page.fill("#find-id", hostileId);
  await page.click("#find-form button");
  await page.waitForSelector("#trace-summary");
  assert.ok((await page.textContent("#trace-summary")).includes("Document " + hostileId + " version"));
  assert.equal(await page.locator("#trace img").count(), 0);

  step = "sign out";
  await page.click("#sign-out");
  await page.waitForSelector("#sign-in:not([hidden])");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(problems, []);
  console.log("operator page: sign-in refused and accepted, flows, trace, hostile id as text, replay, pause and resume — ok");
} catch (e) {
  failed = true;
  console.error("operator page test failed at step `" + step + "`:", e.message);
  if (page) console.error("the page showed:", (await page.innerText("body").catch(() => "")).slice(0, 3000));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
