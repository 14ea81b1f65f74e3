import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  agendaIndexParamsSchema,
  attendanceConfirmationSchema,
  attendanceInputSchema,
  attendanceSummarySchema,
  meetingRecordSchema,
  minuteInputSchema,
  minuteSchema,
} from '../../protocol/attendance.js';
import { idOf } from '../../protocol/fields.js';
import { errorResponses, meetingParamsSchema } from '../../protocol/http.js';
import {
  renderAttendanceCsv,
  renderAttendanceReport,
  renderMeetingRecord,
} from '../attendance/attendanceDocuments.js';
import { actorOf } from '../auth/AccessService.js';
import { principalOf } from '../auth/guard.js';
import { type RouteContext, sessionOrLink } from './routeContext.js';

const tags = ['attendance'];
const siteParams = meetingParamsSchema.extend({
  siteId: idOf({ vi: 'Mã điểm cầu', en: 'Site id' }),
});
const text = (type: string) => ({ description: type, content: { [type]: { schema: z.string() } } });

/**
 * Attendance: each site confirms who is present (its technician, or IT staff for it); IT staff
 * and the chair see the totals, the report (HTML, CSV) and the record of the meeting; the
 * secretary (IT staff or the chair) notes the conclusion of each agenda item.
 */
export const attendanceRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { attendance, meetings, sites } = ctx.services;
  const itAndChair = ctx.guard({ roles: ['admin', 'chair'], meetingParam: 'id' });

  app.put(
    '/api/meetings/:id/attendance/sites/:siteId',
    {
      onRequest: ctx.guard({
        roles: ['admin', 'technician'],
        meetingParam: 'id',
        siteParam: 'siteId',
      }),
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Điểm cầu xác nhận thành phần có mặt / A site confirms who is present',
        params: siteParams,
        body: attendanceInputSchema,
        response: { 200: attendanceConfirmationSchema, ...errorResponses },
      },
    },
    async (request) =>
      attendance.confirm(
        request.params.id,
        request.params.siteId,
        request.body,
        actorOf(principalOf(request)),
      ),
  );

  app.get(
    '/api/meetings/:id/attendance',
    {
      onRequest: itAndChair,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Tổng hợp tham dự / Attendance per site and totals',
        params: meetingParamsSchema,
        response: { 200: attendanceSummarySchema, ...errorResponses },
      },
    },
    async (request) => attendance.summary(request.params.id),
  );

  app.get(
    '/api/meetings/:id/attendance/report.html',
    {
      onRequest: itAndChair,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Báo cáo tham dự (A4) / Attendance report, printable A4 HTML',
        params: meetingParamsSchema,
        response: { 200: text('text/html'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const meeting = await meetings.get(request.params.id);
      const html = renderAttendanceReport(meeting, await attendance.summary(meeting.id));
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(html);
    },
  );

  app.get(
    '/api/meetings/:id/attendance/report.csv',
    {
      onRequest: itAndChair,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Báo cáo tham dự (CSV) / Attendance report as CSV',
        params: meetingParamsSchema,
        response: { 200: text('text/csv'), ...errorResponses },
      },
    },
    async (request, reply) =>
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="diem-danh.csv"')
        .send(renderAttendanceCsv(await attendance.summary(request.params.id))),
  );

  app.put(
    '/api/meetings/:id/minutes/:agendaIndex',
    {
      onRequest: itAndChair,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Ghi kết luận mục chương trình / Note the conclusion of an agenda item',
        params: agendaIndexParamsSchema,
        body: minuteInputSchema,
        response: { 200: minuteSchema, ...errorResponses },
      },
    },
    async (request) =>
      attendance.setMinute(
        request.params.id,
        request.params.agendaIndex,
        request.body.conclusion ?? '',
        actorOf(principalOf(request)),
      ),
  );

  app.get(
    '/api/meetings/:id/record',
    {
      onRequest: itAndChair,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Kết luận và lượt phát biểu / Conclusions and the floor log',
        params: meetingParamsSchema,
        response: { 200: meetingRecordSchema, ...errorResponses },
      },
    },
    async (request) => attendance.meetingRecord(await meetings.get(request.params.id)),
  );

  app.get(
    '/api/meetings/:id/record.html',
    {
      onRequest: itAndChair,
      schema: {
        tags,
        security: sessionOrLink,
        summary: 'Biên bản hội nghị (A4) / The record of the meeting, printable A4 HTML',
        params: meetingParamsSchema,
        response: { 200: text('text/html'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const meeting = await meetings.get(request.params.id);
      const [summary, record, siteMap] = await Promise.all([
        attendance.summary(meeting.id),
        attendance.meetingRecord(meeting),
        sites.getMany(meeting.agenda.flatMap((a) => (a.siteId ? [a.siteId] : []))),
      ]);
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(renderMeetingRecord(meeting, summary, record, siteMap));
    },
  );
};
