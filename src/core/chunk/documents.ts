// Chunks of an extracted document (PDF, Word, HTML, notebook): heading sections like Markdown,
// cut again where a page or cell starts, so every chunk lies on one page or cell (or spans two
// when a tiny piece is packed with the next) and can say where it is.
import type { DocPlaces, ExtractedDoc } from '../docs';
import type { LineText, Span } from './lines';
import { chunkSections, sectionsOf, type Outline, type Section } from './sections';

export function chunkDocument(doc: LineText, extracted: ExtractedDoc, budget: number, overlapLines: number): Span[] {
  const outline: Outline = {
    sections: splitAtPlaces(doc, sectionsOf(doc, extracted.headings), extracted.places),
    atomic: new Map(extracted.atomic),
  };
  return chunkSections(doc, outline, budget, overlapLines);
}

function splitAtPlaces(doc: LineText, sections: Section[], places: DocPlaces | undefined): Section[] {
  if (!places) return sections;
  const out: Section[] = [];
  const placeStarts = new Set(places.startRows);
  /** Whether a place starts in rows (after, upTo]: blank rows before a section's text belong to it. */
  const placeStartsIn = (after: number, upTo: number): boolean => {
    for (let row = after + 1; row <= upTo; row++) if (placeStarts.has(row)) return true;
    return false;
  };
  let previousEnd = -1;
  for (const section of sections) {
    let start = section.startRow;
    let startsPlace = placeStartsIn(previousEnd, start);
    for (const row of places.startRows) {
      if (row <= start || row > section.endRow) continue;
      const end = doc.previousNonBlank(row - 1, start);
      if (end >= start) out.push({ ...section, startRow: start, endRow: end, startsPlace });
      start = doc.nextNonBlank(row, section.endRow);
      startsPlace = true;
    }
    if (start <= section.endRow) out.push({ ...section, startRow: start, startsPlace });
    previousEnd = section.endRow;
  }
  return out;
}

/** The number of the page or cell `row` is on. */
export function placeOf(places: DocPlaces, row: number): number {
  let low = 0;
  let high = places.startRows.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (places.startRows[mid] <= row) low = mid;
    else high = mid - 1;
  }
  return places.numbers[low];
}
