// Loads the gateway's playground in headless Chromium, runs a public query,
// pastes an access token and runs a query that needs it, and checks that
// each result appears and that the page fetched nothing from another origin.
//
//   node check.mjs <gateway base URL> <access token>
//
// CHROMIUM overrides the browser (default /usr/bin/chromium, Debian's).
import { chromium } from "playwright-core";

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node check.mjs <gateway base URL> <access token>");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
  ],
});
const problems = [];
try {
  const page = await browser.newPage();
  const origin = new URL(base).origin;
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("response", (r) => { if (r.status() >= 400 && !r.url().endsWith("/graphql")) problems.push(`${r.status()} for ${r.url()}`); });
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.protocol.startsWith("http") && u.origin !== origin) problems.push(`fetched another origin: ${r.url()}`);
  });

  await page.goto(base + "/", { waitUntil: "load" });
  await page.waitForSelector(".graphiql-container .graphiql-query-editor .CodeMirror", { timeout: 20000 });

  // A public query first.
  await run(page, '{ tenantBySubdomain(subdomain: "t1") { name } }', "Tenant t1");
  // Then paste the token, as an integrator would, and ask who we are.
  await page.click("#token");
  await page.keyboard.type(token);
  await run(page, "{ me { email tenant { name } } }", "u1@example.com");
  console.log("playground ok");
} catch (e) {
  problems.push(String(e && e.stack || e));
} finally {
  await browser.close();
}
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}

// run puts a query in GraphiQL's editor, presses its run button and waits
// for text to appear in the response pane.
async function run(page, query, expect) {
  await page.evaluate((q) => {
    document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(q);
  }, query);
  await page.click("button.graphiql-execute-button");
  try {
    await page.waitForFunction((want) => {
      const cm = document.querySelector(".graphiql-response .CodeMirror");
      return cm && cm.CodeMirror.getValue().includes(want);
    }, expect, { timeout: 20000 });
  } catch (e) {
    const got = await page.evaluate(() => document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue());
    throw new Error(`running ${query}: the response pane shows ${JSON.stringify(got)}, want ${expect}`);
  }
}
