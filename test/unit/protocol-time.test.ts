import t from 'tap';
import {
  defaultCheckAt,
  formatDate,
  formatDateTime,
  formatLongDateVi,
  formatTime,
  toVietnamIso,
  vietnamDate,
} from '../../protocol/time.js';

t.test('default check: 08:00 Vietnam time the day before the opening', async (t) => {
  t.equal(defaultCheckAt('2011-11-01T07:30:00+07:00'), '2011-10-31T08:00:00+07:00', 'seed 002');
  t.equal(defaultCheckAt('2011-11-01T00:30:00Z'), '2011-10-31T08:00:00+07:00', 'given in UTC');
  t.equal(
    defaultCheckAt('2025-01-01T07:30:00+07:00'),
    '2024-12-31T08:00:00+07:00',
    'across a year',
  );
  t.equal(defaultCheckAt('2024-03-01T07:30:00+07:00'), '2024-02-29T08:00:00+07:00', 'leap day');
  // 23:30 UTC on 31/10 is already 01/11 in Vietnam.
  t.equal(defaultCheckAt('2011-10-31T23:30:00Z'), '2011-10-31T08:00:00+07:00', 'local date counts');
});

t.test(
  'display: dd/mm/yyyy, 24-hour clock, Asia/Ho_Chi_Minh whatever the process TZ',
  async (t) => {
    t.equal(formatDate('2011-10-31T01:00:00Z'), '31/10/2011');
    t.equal(formatTime('2011-10-31T13:05:00Z'), '20:05');
    t.equal(formatDateTime('2011-10-31T17:30:00Z'), '00:30 01/11/2011');
    t.equal(formatLongDateVi('2013-03-08T08:00:00+07:00'), 'Thứ Sáu, ngày 08 tháng 3 năm 2013');
    t.equal(formatLongDateVi('2013-03-10T08:00:00+07:00'), 'Chủ nhật, ngày 10 tháng 3 năm 2013');
    t.equal(toVietnamIso('2011-10-31T01:00:00Z'), '2011-10-31T08:00:00+07:00');
    t.equal(vietnamDate('2011-10-31T18:00:00Z'), '2011-11-01');
    t.throws(() => formatDate('not a date'), RangeError);
  },
);
