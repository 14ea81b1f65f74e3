import type { AgendaItem, MeetingInput } from '../../protocol/meetings.js';
import type { SiteInput } from '../../protocol/sites.js';
import { toVietnamIso, vietnamInstant } from '../../protocol/time.js';

/**
 * The department of seed 002 (Sở GD&ĐT Hòa Bình, letter 1039/SGD&ĐT-VP): a main point and its
 * 11 district/city points, with the monthly briefing's composition. Used by the demo and tests.
 */
export const hoaBinhMainSite: SiteInput = {
  name: 'Sở GD&ĐT Hòa Bình',
  kind: 'main_hall',
  hostUnit: 'Sở Giáo dục và Đào tạo Hòa Bình',
  address: 'Thành phố Hòa Bình, tỉnh Hòa Bình',
  attendingUnits: [],
};

const districts: readonly { name: string; city?: boolean }[] = [
  { name: 'Hòa Bình', city: true },
  { name: 'Đà Bắc' },
  { name: 'Mai Châu' },
  { name: 'Tân Lạc' },
  { name: 'Lạc Sơn' },
  { name: 'Yên Thủy' },
  { name: 'Lạc Thủy' },
  { name: 'Kim Bôi' },
  { name: 'Cao Phong' },
  { name: 'Lương Sơn' },
  { name: 'Kỳ Sơn' },
];

export const hoaBinhDistrictSites: SiteInput[] = districts.map((d) => {
  const unit = d.city ? `thành phố ${d.name}` : `huyện ${d.name}`;
  return {
    name: d.city ? `TP ${d.name}` : d.name,
    kind: 'district_office',
    hostUnit: `Phòng Giáo dục và Đào tạo ${unit}`,
    address: `${unit.charAt(0).toUpperCase()}${unit.slice(1)}, tỉnh Hòa Bình`,
    attendingUnits: [],
  };
});

export interface HoaBinhMeetingOptions {
  /** Meeting day in Vietnam. */
  year: number;
  month: number;
  day: number;
  /** Date printed on the letter (yyyy-mm-dd). */
  letterDate: string;
  letterNumber?: string;
  mainSiteId: string;
  /** The 11 district site ids, in the order of hoaBinhDistrictSites. */
  districtSiteIds: readonly string[];
}

/** The monthly briefing of seed 002: opening 07:30, check 08:00 the day before (the default). */
export function hoaBinhBriefing(o: HoaBinhMeetingOptions): MeetingInput {
  const at = (h: number, m: number) => toVietnamIso(vietnamInstant(o.year, o.month, o.day, h, m));
  const previousMonth = o.month === 1 ? 12 : o.month - 1;
  const agenda: AgendaItem[] = [
    { startsAt: at(7, 30), title: 'Tuyên bố lý do, giới thiệu đại biểu', isBreak: false },
    {
      startsAt: at(7, 35),
      title: `Báo cáo kết quả thực hiện nhiệm vụ GD&ĐT tháng ${previousMonth} và nhiệm vụ trọng tâm tháng ${o.month}`,
      presenter: 'Lãnh đạo Sở GD&ĐT',
      siteId: o.mainSiteId,
      isBreak: false,
    },
    ...o.districtSiteIds.map((siteId, i) => ({
      // Ten minutes each from 08:05 (Date.UTC carries minutes past 59 into the hour).
      startsAt: at(8, 5 + i * 10),
      title: `Báo cáo của Phòng GD&ĐT ${districts[i]?.city ? 'thành phố' : 'huyện'} ${districts[i]?.name ?? ''}`,
      presenter: 'Trưởng phòng GD&ĐT',
      siteId,
      isBreak: false,
    })),
    { startsAt: at(9, 55), title: 'Giải lao', isBreak: true },
    { startsAt: at(10, 10), title: 'Thảo luận, kiến nghị, đề xuất', isBreak: false },
    {
      startsAt: at(10, 50),
      title: `Kết luận và triển khai nhiệm vụ trọng tâm tháng ${o.month}`,
      presenter: 'Giám đốc Sở GD&ĐT',
      isBreak: false,
    },
    { startsAt: at(11, 30), title: 'Bế mạc hội nghị', isBreak: true },
  ];
  const districtComposition = [
    { role: 'Trưởng phòng GD&ĐT' },
    { role: 'Chủ tịch Công đoàn Giáo dục' },
    {
      role: 'Cán bộ, chuyên viên theo dõi giáo dục Mầm non, Tiểu học, THCS; công tác TCCB, cơ sở vật chất, Thi đua',
    },
    { role: 'Hiệu trưởng, Giám đốc các đơn vị, trường học trực thuộc trên địa bàn' },
    { role: 'Chủ tịch Công đoàn các đơn vị, trường học trực thuộc' },
  ];
  return {
    title: `Hội nghị giao ban trực tuyến tháng ${o.month} năm ${o.year}`,
    banner: [
      'SỞ GIÁO DỤC VÀ ĐÀO TẠO HÒA BÌNH',
      'HỘI NGHỊ GIAO BAN TRỰC TUYẾN',
      `ĐÁNH GIÁ TÌNH HÌNH THỰC HIỆN NHIỆM VỤ GD&ĐT THÁNG ${previousMonth} NĂM ${o.month === 1 ? o.year - 1 : o.year}`,
      `TRIỂN KHAI NHIỆM VỤ TRỌNG TÂM THÁNG ${o.month} NĂM ${o.year}`,
    ].join('\n'),
    organizer: 'Sở Giáo dục và Đào tạo Hòa Bình',
    chair: 'Giám đốc Sở GD&ĐT',
    opensAt: at(7, 30),
    closesAt: at(11, 30),
    mainSite: {
      siteId: o.mainSiteId,
      composition: [
        { role: 'Lãnh đạo Sở Giáo dục và Đào tạo' },
        { role: 'Lãnh đạo Công đoàn Giáo dục Hòa Bình' },
        { role: 'Trưởng phòng, Phó Trưởng phòng chức năng, chuyên môn, nghiệp vụ Sở GD&ĐT' },
        {
          role: 'Cán bộ, chuyên viên các phòng: Giáo dục MN, TH, TrH, GDTX, GDCN, KT&QLCLGD, Thanh tra Sở',
        },
      ],
    },
    sites: o.districtSiteIds.map((siteId) => ({ siteId, composition: districtComposition })),
    agenda,
    requirements: [
      'Phòng GD&ĐT các huyện, thành phố chủ trì, đại diện báo cáo kết quả thực hiện nhiệm vụ GD&ĐT của phòng và của các đơn vị trực thuộc trên địa bàn; các đơn vị trực thuộc gửi báo cáo cho phòng GD&ĐT trước 1 tuần.',
      'Phòng GD&ĐT mời Đài Truyền thanh – Truyền hình huyện, thành phố dự và đưa tin về Hội nghị.',
      'Các đơn vị, trường học trực thuộc dự Hội nghị tại điểm cầu Phòng GD&ĐT huyện, thành phố cùng địa bàn.',
    ],
    letter: {
      authority: 'UBND tỉnh Hòa Bình',
      number: o.letterNumber ?? '1039/SGD&ĐT-VP',
      subject: `V/v triệu tập đại biểu dự Hội nghị giao ban trực tuyến tháng ${o.month} năm ${o.year}`,
      place: 'Hòa Bình',
      date: o.letterDate,
      addressees: [
        'Các phòng chức năng, chuyên môn nghiệp vụ Sở GD&ĐT',
        'Phòng Giáo dục và Đào tạo các huyện, thành phố',
        'Các đơn vị trực thuộc',
      ],
      preamble: `Thực hiện Kế hoạch công tác tháng, Sở GD&ĐT triệu tập đại biểu dự Hội nghị giao ban trực tuyến tháng ${o.month} năm ${o.year}. Nội dung: đánh giá kết quả thực hiện nhiệm vụ GD&ĐT tháng ${previousMonth} và triển khai những nhiệm vụ trọng tâm tháng ${o.month}.`,
      distribution: [
        'Như trên',
        'GĐ, các PGĐ Sở',
        'Công đoàn GDHB',
        'Website ngành',
        'Lưu: VT, VP',
      ],
      signerTitle: 'TL. GIÁM ĐỐC\nCHÁNH VĂN PHÒNG',
    },
  };
}
