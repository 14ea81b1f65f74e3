import type { MeetingInput } from '../../protocol/meetings.js';
import type { SiteInput } from '../../protocol/sites.js';

/**
 * Seed 003 (Sở GD&ĐT Bến Tre, letter 252/SGD&ĐT-VP): a one-day meeting on Monday 11/03/2013,
 * check on Friday 08/03/2013 08:00, the city site hosted in a lower-secondary school where two
 * provincial centres attend.
 */
export const benTreMain: SiteInput = {
  name: 'Sở GD&ĐT Bến Tre',
  kind: 'main_hall',
  hostUnit: 'Sở Giáo dục và Đào tạo Bến Tre',
  attendingUnits: [],
};

export const benTreSites: SiteInput[] = [
  {
    name: 'Thành phố Bến Tre',
    kind: 'school',
    hostUnit: 'Trường THCS Mỹ Hóa',
    address: 'Thành phố Bến Tre',
    attendingUnits: [
      'Trung tâm Kỹ thuật Tổng hợp – Hướng nghiệp tỉnh',
      'Trung tâm Giáo dục thường xuyên tỉnh',
    ],
    technician: { name: 'Nguyễn Văn Bình', phone: '0275 3822 000', email: 'kythuat@example.vn' },
  },
  ...[
    'Châu Thành',
    'Chợ Lách',
    'Mỏ Cày Nam',
    'Mỏ Cày Bắc',
    'Giồng Trôm',
    'Bình Đại',
    'Ba Tri',
    'Thạnh Phú',
  ].map(
    (d): SiteInput => ({
      name: `Huyện ${d}`,
      kind: 'district_office',
      hostUnit: `Phòng GD&ĐT huyện ${d}`,
      attendingUnits: [],
    }),
  ),
];

export function benTreMeeting(mainId: string, siteIds: string[]): MeetingInput {
  const t = (hm: string) => `2013-03-11T${hm}:00+07:00`;
  return {
    title:
      'Hội nghị triển khai Nghị quyết Hội nghị Trung ương 6 và quán triệt Kết luận số 51-KL/TW',
    organizer: 'Sở Giáo dục và Đào tạo Bến Tre',
    chair: 'Giám đốc Sở GD&ĐT',
    opensAt: t('07:30'),
    closesAt: t('17:00'),
    checkAt: '2013-03-08T08:00:00+07:00',
    mainSite: {
      siteId: mainId,
      composition: [
        { role: 'Ban Giám đốc Sở GD&ĐT' },
        { role: 'Chủ tịch Công đoàn Giáo dục tỉnh' },
        { role: 'Trưởng phòng, Phó Trưởng phòng, Chánh Thanh tra, Phó Chánh Thanh tra Sở' },
      ],
    },
    sites: siteIds.map((siteId) => ({
      siteId,
      composition: [
        { role: 'Trưởng phòng Giáo dục và Đào tạo' },
        { role: 'Thủ trưởng các đơn vị trực thuộc Phòng Giáo dục và Đào tạo' },
      ],
    })),
    agenda: [
      { startsAt: t('07:30'), title: 'Tuyên bố lý do, giới thiệu đại biểu' },
      { startsAt: t('07:35'), title: 'Phát biểu của Giám đốc Sở GD&ĐT', presenter: 'Giám đốc Sở' },
      {
        startsAt: t('07:45'),
        title: 'Ban Tuyên giáo Tỉnh ủy triển khai Nghị quyết Hội nghị Trung ương 6 (khóa XI)',
        presenter: 'Ban Tuyên giáo Tỉnh ủy',
      },
      { startsAt: t('09:30'), title: 'Giải lao', isBreak: true },
      {
        startsAt: t('09:45'),
        title: 'Tiếp tục triển khai Nghị quyết Hội nghị Trung ương 6 (khóa XI)',
      },
      { startsAt: t('11:00'), title: 'Kết thúc buổi sáng', isBreak: true },
      {
        startsAt: t('13:30'),
        title:
          'Ban Tuyên giáo Tỉnh ủy triển khai Kết luận số 51-KL/TW của Ban Chấp hành Trung ương Đảng (khóa XI)',
      },
      { startsAt: t('14:45'), title: 'Giải lao', isBreak: true },
      {
        startsAt: t('15:00'),
        title:
          'Giám đốc Sở GD&ĐT triển khai Chương trình hành động số 23-CTr/TU của Tỉnh ủy Bến Tre và Kế hoạch thực hiện của ngành',
      },
      { startsAt: t('17:00'), title: 'Kết thúc Hội nghị', isBreak: true },
    ],
    letter: {
      authority: 'Ủy ban nhân dân tỉnh Bến Tre',
      number: '252/SGD&ĐT-VP',
      subject:
        'V/v Họp trực tuyến triển khai Nghị quyết Hội nghị Trung ương 6 và quán triệt Kết luận số 51-KL/TW',
      place: 'Bến Tre',
      date: '2013-03-04',
      addressees: ['Phòng Giáo dục và Đào tạo các huyện, thành phố', 'Các đơn vị trực thuộc Sở'],
      preamble:
        'Thực hiện Kế hoạch số 11/KH-SGD&ĐT ngày 20 tháng 02 năm 2013 của Sở Giáo dục và Đào tạo về Tổ chức Hội nghị triển khai Kết luận số 51-KL/TW, Sở Giáo dục và Đào tạo thông báo các Phòng Giáo dục và Đào tạo, các đơn vị trực thuộc Sở những nội dung sau:',
      distribution: [
        'Như trên (để thực hiện)',
        'Ban TG Tỉnh ủy',
        'Ban GĐ Sở GD&ĐT',
        'Website Sở GD&ĐT',
        'Lưu: VT, vk',
      ],
      signerTitle: 'GIÁM ĐỐC',
      signerName: 'Lê Ngọc Bửu',
    },
    requirements: [
      'Đại biểu in và mang theo tài liệu được đăng tải tại website Sở (www.bentre.edu.vn).',
    ],
  };
}
