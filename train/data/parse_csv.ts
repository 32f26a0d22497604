/** One CSV record and the 1-based line it starts on (records may span lines inside quotes). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Parses RFC 4180 CSV: comma separated, `"` quotes fields, `""` is a literal quote, quoted fields
 * may contain commas and newlines, LF or CRLF line ends, an optional UTF-8 BOM. Blank lines are
 * dropped. Throws a `SyntaxError` naming `source` and the line for an unterminated quote or text
 * after a closing quote.
 */
export function parseCsv(text: string, source = "csv"): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let recordLine = 1;
  let field = "";
  let atFieldStart = true;
  let quotedRecord = false;
  const endRecord = () => {
    fields.push(field);
    // A record that is one empty unquoted field is a blank line.
    if (!(fields.length === 1 && fields[0] === "" && !quotedRecord)) {
      records.push({ line: recordLine, fields });
    }
    fields = [];
    field = "";
    atFieldStart = true;
    quotedRecord = false;
  };
  while (i < text.length) {
    const ch = text[i];
    if (atFieldStart && fields.length === 0 && field === "") recordLine = line;
    if (atFieldStart && ch === '"') {
      // Quoted field: read to the closing quote.
      quotedRecord = true;
      const startLine = line;
      i++;
      for (;;) {
        if (i >= text.length) {
          throw new SyntaxError(`${source} line ${startLine}: unterminated quoted field`);
        }
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === "\n") line++;
        field += c;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        throw new SyntaxError(`${source} line ${line}: unexpected text after a closing quote`);
      }
      atFieldStart = false;
      continue;
    }
    if (ch === ",") {
      fields.push(field);
      field = "";
      atFieldStart = true;
      i++;
    } else if (ch === "\r" && text[i + 1] === "\n") {
      endRecord();
      line++;
      i += 2;
    } else if (ch === "\n") {
      endRecord();
      line++;
      i++;
    } else {
      field += ch;
      atFieldStart = false;
      i++;
    }
  }
  if (fields.length > 0 || field !== "" || quotedRecord) endRecord();
  return records;
}
