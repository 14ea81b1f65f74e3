import type { OutlineSectionInput, ReportTemplate } from '../../protocol/reports.js';
import { outlineSectionSchema } from '../../protocol/reports.js';

/**
 * Built-in outlines taken from the letters in shared/seeds. IT copies one into a report request
 * and edits it there; the templates themselves never change.
 */

const s = (
  id: string,
  number: string,
  title: string,
  more: Partial<OutlineSectionInput> = {},
): OutlineSectionInput => ({ id, number, title, required: true, level: 1, ...more });

/** Seed 004 (Bến Tre, 1287/SGD&ĐT-TCCB): the five-year review asked of district offices. */
const seed004: OutlineSectionInput[] = [
  s('p1', '1', 'Tình hình triển khai Kế hoạch', { required: false }),
  s('p1-1', '1.1', 'Công tác triển khai, quán triệt và tổ chức thực hiện', {
    level: 2,
    hint: 'Triển khai, quán triệt và tổ chức thực hiện Chỉ thị, Kế hoạch trong ngành giáo dục và đào tạo địa phương; của cấp ủy và thủ trưởng các cơ sở giáo dục thuộc phạm vi quản lý.',
  }),
  s('p1-2', '1.2', 'Việc ban hành văn bản lãnh đạo, chỉ đạo', {
    level: 2,
    hint: 'Các văn bản lãnh đạo, chỉ đạo công tác xây dựng, nâng cao chất lượng đội ngũ nhà giáo và cán bộ quản lý giáo dục; hoạt động kiểm tra, giám sát và đánh giá việc thực hiện.',
  }),
  s('p1-3', '1.3', 'Sự chuyển biến về nhận thức', {
    level: 2,
    hint: 'Chuyển biến về nhận thức của các cấp ủy đảng, chính quyền, đội ngũ viên chức ngành giáo dục tại địa phương.',
  }),
  s('p2', '2', 'Kết quả thực hiện', {
    hint: 'Củng cố, nâng cao chất lượng cán bộ quản lý; sắp xếp, bố trí, đào tạo, chuẩn hóa đội ngũ; đổi mới nội dung, chương trình và phương pháp giáo dục; chính sách, chế độ. Phân tích các chỉ tiêu chưa đạt được và nguyên nhân (thống kê theo biểu mẫu đính kèm).',
  }),
  s('p3', '3', 'Nhận xét, đánh giá chung', { required: false }),
  s('p3-1', '3.1', 'Ưu điểm', { level: 2 }),
  s('p3-2', '3.2', 'Hạn chế, tồn tại', { level: 2 }),
  s('p3-3', '3.3', 'Nguyên nhân của những hạn chế', { level: 2 }),
  s('p3-4', '3.4', 'Những công việc cần tập trung trong thời gian tới', { level: 2 }),
  s('p4', '4', 'Kiến nghị', { required: false }),
];

/** Seed 000 (Bộ GD&ĐT): the semester report regional heads assemble from their departments. */
const seed000: OutlineSectionInput[] = [
  s('k1', '1', 'Kết quả triển khai nhiệm vụ từ đầu năm học đến nay', { required: false }),
  s(
    'k1-1',
    '1.1',
    'Kết quả triển khai 3 cuộc vận động và phong trào thi đua “Xây dựng trường học thân thiện, học sinh tích cực”',
    { level: 2 },
  ),
  s('k1-2', '1.2', 'Giải pháp đổi mới quản lý giáo dục và kết quả đạt được', { level: 2 }),
  s('k1-3', '1.3', 'Giải pháp nâng cao chất lượng giáo dục; kết quả xếp loại học sinh học kỳ I', {
    level: 2,
    hint: 'Kết quả xếp loại học sinh theo các cấp học.',
  }),
  s('k1-4', '1.4', 'Tình hình học sinh bỏ học, nguyên nhân, giải pháp khắc phục', { level: 2 }),
  s(
    'k1-5',
    '1.5',
    'Phát triển mạng lưới trường lớp, cơ sở vật chất, thiết bị; kiên cố hóa trường lớp học và nhà công vụ cho giáo viên',
    { level: 2 },
  ),
  s(
    'k1-6',
    '1.6',
    'Đầu tư phát triển đội ngũ nhà giáo và cán bộ quản lý; tình hình vi phạm đạo đức nhà giáo (nếu có)',
    { level: 2, required: false },
  ),
  s('k2', '2', 'Kế hoạch và giải pháp thực hiện nhiệm vụ từ nay đến hết năm học'),
  s(
    'k3',
    '3',
    'Đề xuất và kiến nghị với Bộ Giáo dục và Đào tạo; các Bộ, ngành liên quan; với Chính phủ và Quốc hội',
    { required: false },
  ),
];

export const reportTemplates: readonly ReportTemplate[] = [
  {
    id: 'seed-004-tong-ket',
    name: {
      vi: 'Báo cáo tổng kết (kết quả, ưu điểm, hạn chế, nguyên nhân, nhiệm vụ, kiến nghị)',
      en: 'Review report (results, strengths, weaknesses, causes, next tasks, recommendations)',
    },
    source: 'Công văn 1287/SGD&ĐT-TCCB, Sở GD&ĐT Bến Tre, 04/11/2010',
    title: 'Báo cáo tổng kết 05 năm triển khai thực hiện Kế hoạch',
    sections: seed004.map((x) => outlineSectionSchema.parse(x)),
  },
  {
    id: 'seed-000-so-ket-hoc-ky',
    name: {
      vi: 'Báo cáo sơ kết học kỳ (giao ban vùng)',
      en: 'Semester report (regional briefing)',
    },
    source: 'Công văn của Bộ GD&ĐT về Hội nghị giao ban lần thứ hai năm học 2009 – 2010',
    title: 'Báo cáo sơ kết học kỳ I',
    sections: seed000.map((x) => outlineSectionSchema.parse(x)),
  },
];
