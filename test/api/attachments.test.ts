import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Meeting } from '../../protocol/meetings.js';
import { hoaBinhBriefing } from '../../server/demo/hoaBinh.js';
import { buildTestApi, createHoaBinhSites, type TestApi } from '../helpers/dataApi.js';
import { startTestRedis } from '../helpers/redis.js';

const redis = await startTestRedis(t);

function multipart(
  parts: { name: string; filename?: string; type?: string; data: Buffer | string }[],
) {
  const boundary = '----diemcau-test-boundary';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`,
      ),
      Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

async function setup(t: Test): Promise<{ api: TestApi; meeting: Meeting; techToken: string }> {
  const api = await buildTestApi(t, redis.url, { limits: { uploadMaxBytes: 64 * 1024 } });
  const { main, districts } = await createHoaBinhSites(api);
  const res = await api.app.inject({
    method: 'POST',
    url: '/api/meetings',
    headers: { cookie: api.adminCookie },
    payload: hoaBinhBriefing({
      year: 2031,
      month: 11,
      day: 4,
      letterDate: '2031-10-21',
      mainSiteId: main.id,
      districtSiteIds: districts.map((d) => d.id),
    }),
  });
  const meeting: Meeting = res.json();
  const link = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/links`,
    headers: { cookie: api.adminCookie },
    payload: { role: 'technician', siteId: districts[0]!.id },
  });
  return { api, meeting, techToken: link.json().token };
}

t.test('documents: upload, download by a technician, limits, removal', async (t) => {
  const { api, meeting, techToken } = await setup(t);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(4000, 0x41)]);
  const { payload, contentType } = multipart([
    { name: 'title', data: 'Báo cáo tổng hợp tháng 10' },
    { name: 'file', filename: 'bao-cao-thang-10.pdf', type: 'application/pdf', data: pdf },
  ]);
  const up = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/attachments`,
    headers: { cookie: api.adminCookie, 'content-type': contentType },
    payload,
  });
  t.equal(up.statusCode, 201, up.body);
  const att = up.json();
  t.equal(att.title, 'Báo cáo tổng hợp tháng 10');
  t.equal(att.size, pdf.length);
  t.equal(att.contentType, 'application/pdf');

  const down = await api.app.inject({
    method: 'GET',
    url: `/api/meetings/${meeting.id}/attachments/${att.id}`,
    headers: { authorization: `Bearer ${techToken}` },
  });
  t.equal(down.statusCode, 200);
  t.ok(down.rawPayload.equals(pdf), 'same bytes back');
  t.match(down.headers['content-disposition'], /^attachment; filename="bao-cao-thang-10.pdf"/);
  t.equal(down.headers['x-content-type-options'], 'nosniff');

  const view = await api.app.inject({
    method: 'GET',
    url: '/api/me/meeting',
    headers: { authorization: `Bearer ${techToken}` },
  });
  t.equal(view.json().attachments.length, 1);
  const html = await api.app.inject({
    method: 'GET',
    url: `/api/meetings/${meeting.id}/convocation`,
    headers: { cookie: api.adminCookie },
  });
  t.match(html.body, /Báo cáo tổng hợp tháng 10/);

  const big = multipart([{ name: 'file', filename: 'lon.pdf', data: Buffer.alloc(65 * 1024, 1) }]);
  const tooBig = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/attachments`,
    headers: { cookie: api.adminCookie, 'content-type': big.contentType },
    payload: big.payload,
  });
  t.equal(tooBig.statusCode, 413);
  t.equal(tooBig.json().code, 'payload_too_large');

  const html2 = multipart([
    { name: 'file', filename: 'trang.html', data: '<script>alert(1)</script>' },
  ]);
  const badType = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/attachments`,
    headers: { cookie: api.adminCookie, 'content-type': html2.contentType },
    payload: html2.payload,
  });
  t.equal(badType.statusCode, 400);
  t.match(badType.json().message.vi, /body\.file: loại tệp ".html" không được phép/);

  const notMultipart = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/attachments`,
    headers: { cookie: api.adminCookie },
    payload: { file: 'x' },
  });
  t.equal(notMultipart.statusCode, 400);

  const techUpload = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/attachments`,
    headers: { authorization: `Bearer ${techToken}`, 'content-type': contentType },
    payload,
  });
  t.equal(techUpload.statusCode, 403, 'technicians cannot upload');

  const dir = join(api.dataDir, 'uploads', meeting.id);
  t.same(readdirSync(dir), [att.id], 'only the accepted file is on disk (no partial files)');

  const link = await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/attachments/links`,
    headers: { cookie: api.adminCookie },
    payload: { title: 'Tài liệu trên website Sở', url: 'javascript:alert(1)' },
  });
  t.equal(link.statusCode, 400);
  t.match(link.json().message.vi, /body\.url: Đường dẫn tài liệu phải bắt đầu bằng http/);

  const removed = await api.app.inject({
    method: 'DELETE',
    url: `/api/meetings/${meeting.id}/attachments/${att.id}`,
    headers: { cookie: api.adminCookie },
  });
  t.equal(removed.statusCode, 200);
  t.same(readdirSync(dir), []);
  t.equal(
    (
      await api.app.inject({
        method: 'GET',
        url: `/api/meetings/${meeting.id}/attachments/${att.id}`,
        headers: { cookie: api.adminCookie },
      })
    ).statusCode,
    404,
  );

  // Deleting the meeting removes its folder.
  await api.app.inject({
    method: 'POST',
    url: `/api/meetings/${meeting.id}/attachments`,
    headers: { cookie: api.adminCookie, 'content-type': contentType },
    payload,
  });
  t.equal(readdirSync(dir).length, 1);
  const del = await api.app.inject({
    method: 'DELETE',
    url: `/api/meetings/${meeting.id}`,
    headers: { cookie: api.adminCookie },
  });
  t.equal(del.statusCode, 200);
  t.notOk(existsSync(dir));
});
