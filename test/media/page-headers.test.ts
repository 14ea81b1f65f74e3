import t from 'tap';
import { launchChromium } from '../helpers/browser.js';
import { type ServiceStack, startServiceStack } from '../helpers/serviceStack.js';

/*
 * Issue 27, row 6: every page carries nosniff, no Referer, no framing and a policy with no inline
 * script, and the pages still work under it in Chromium (no CSP violation reported).
 */

const stack: ServiceStack = await startServiceStack(t);
const { service } = stack;

t.test('issue 27 row 6: pages carry the headers and still work in Chromium', async (t) => {
  for (const url of ['/', '/admin', `/join/${stack.tokenOf('chair')}`, '/docs/', '/harness.html']) {
    const res = await service.app.inject({ url, remoteAddress: '10.27.6.1' });
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`);
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${url}: no Referer`);
    const csp = String(res.headers['content-security-policy']);
    t.match(csp, /frame-ancestors 'none'/, `${url}: no framing`);
    t.notMatch(csp, /script-src[^;]*'unsafe-inline'/, `${url}: no inline script allowed`);
  }
  const browser = await launchChromium(t);
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${service.url}/join/${stack.tokenOf('chair')}`);
  await page.waitForFunction(() => (document.body.innerText ?? '').length > 40, undefined, {
    timeout: 15_000,
  });
  await page.goto(`${service.url}/admin`);
  await page.waitForSelector('input[type=password]', { timeout: 15_000 });
  await page.goto(`${service.url}/docs/`);
  await page.waitForSelector('.swagger-ui', { timeout: 15_000 });
  t.same(violations, [], 'no CSP violation on the join page, the IT board or /docs');
  await context.close();
});
