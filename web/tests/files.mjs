// Upload files for the browser tests, built in memory so no binary fixture is checked in: a tiny
// zip writer (entries stored uncompressed, UTF-8 names, CRC-32 per APPNOTE 4.4.7), a one-sheet
// .xlsx written as OOXML by hand (inline strings, numbers as numbers; the same shape as the
// `xlsx()` helper in tests/it/camera_import.rs), and a zipped point shapefile
// (.shp/.shx/.dbf/.prj, like `cameras_zip()` in tests/it/shapefile.rs).

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xFFFFFFFF;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >>> 8);
  return (c ^ 0xFFFFFFFF) >>> 0;
}

/** A zip archive of `[name, bytes | string]` entries, stored (method 0). */
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034B50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014B50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054B50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A one-sheet workbook: `rows` of cells, strings inline and numbers as numbers. */
export function xlsx(sheetName, rows) {
  const column = (i) => String.fromCharCode(65 + i);
  const cells = rows.map((row, r) => `<row r="${r + 1}">${row.map((v, c) => {
    const at = `${column(c)}${r + 1}`;
    return typeof v === 'number' ? `<c r="${at}"><v>${v}</v></c>` : `<c r="${at}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
  }).join('')}</row>`).join('');
  const head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
  return zip([
    ['[Content_Types].xml', `${head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`],
    ['_rels/.rels', `${head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`],
    ['xl/workbook.xml', `${head}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="${esc(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`],
    ['xl/_rels/workbook.xml.rels', `${head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`],
    ['xl/worksheets/sheet1.xml', `${head}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${cells}</sheetData></worksheet>`],
  ]);
}

const WGS84_PRJ = 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]';

/** The .shp and .shx of points `[[x, y], ...]`. */
function pointShp(points) {
  const header = (bytes) => {
    const h = Buffer.alloc(100);
    h.writeInt32BE(9994, 0);
    h.writeInt32BE(bytes / 2, 24);
    h.writeInt32LE(1000, 28);
    h.writeInt32LE(1, 32); // Point
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    h.writeDoubleLE(Math.min(...xs), 36);
    h.writeDoubleLE(Math.min(...ys), 44);
    h.writeDoubleLE(Math.max(...xs), 52);
    h.writeDoubleLE(Math.max(...ys), 60);
    return h;
  };
  const records = points.map(([x, y], i) => {
    const r = Buffer.alloc(8 + 20);
    r.writeInt32BE(i + 1, 0);
    r.writeInt32BE(10, 4); // content length in 16-bit words
    r.writeInt32LE(1, 8);
    r.writeDoubleLE(x, 12);
    r.writeDoubleLE(y, 20);
    return r;
  });
  const shp = Buffer.concat([header(100 + 28 * points.length), ...records]);
  const index = points.map((_, i) => {
    const r = Buffer.alloc(8);
    r.writeInt32BE((100 + 28 * i) / 2, 0);
    r.writeInt32BE(10, 4);
    return r;
  });
  const shx = Buffer.concat([header(100 + 8 * points.length), ...index]);
  return { shp, shx };
}

/** A dBASE III table (UTF-8 text): `fields` are `[name, 'C' | 'N', width]`. */
function dbf(fields, rows) {
  const recordLength = 1 + fields.reduce((n, f) => n + f[2], 0);
  const headerLength = 32 + 32 * fields.length + 1;
  const head = Buffer.alloc(32);
  head.writeUInt8(0x03, 0);
  head.writeUInt8(126, 1);
  head.writeUInt8(11, 2);
  head.writeUInt8(25, 3);
  head.writeUInt32LE(rows.length, 4);
  head.writeUInt16LE(headerLength, 8);
  head.writeUInt16LE(recordLength, 10);
  const descriptors = fields.map(([name, kind, width]) => {
    const d = Buffer.alloc(32);
    d.write(name, 0, 'ascii');
    d.write(kind, 11, 'ascii');
    d.writeUInt8(width, 16);
    return d;
  });
  const records = rows.map((row) => Buffer.concat([Buffer.from(' '), ...fields.map(([, kind, width], i) => {
    const text = Buffer.from(String(row[i]), 'utf8');
    if (text.length > width) throw new Error(`cell ${row[i]} wider than ${width}`);
    const pad = Buffer.alloc(width - text.length, 0x20);
    return kind === 'N' ? Buffer.concat([pad, text]) : Buffer.concat([text, pad]);
  })]));
  return Buffer.concat([head, ...descriptors, Buffer.from([0x0D]), ...records, Buffer.from([0x1A])]);
}

/** A zipped WGS84 point shapefile of cameras `{code, name, azimuth, lon, lat}` (60°, 80 m, fixed),
 * with Chinese file names in a folder and a `.cpg` saying UTF-8. */
export function camerasShapefileZip(cameras) {
  const { shp, shx } = pointShp(cameras.map((c) => [c.lon, c.lat]));
  const table = dbf(
    [['code', 'C', 20], ['name', 'C', 40], ['azimuth_de', 'N', 6], ['hfov_deg', 'N', 6], ['range_m', 'N', 8], ['kind', 'C', 8]],
    cameras.map((c) => [c.code, c.name, c.azimuth, 60, '80.0', 'fixed']),
  );
  return zip([
    ['cameras/摄像机.shp', shp],
    ['cameras/摄像机.shx', shx],
    ['cameras/摄像机.dbf', table],
    ['cameras/摄像机.prj', WGS84_PRJ],
    ['cameras/摄像机.cpg', 'UTF-8'],
  ]);
}
