/**
 * Writing a run's files so that a crash never leaves half of one. A file that is replaced
 * (meta.yaml, a param, a tag) is written whole to a temporary sibling, flushed and renamed over
 * the old one: a reader sees the old file or the new one. A metric's history only grows: each
 * call appends its complete lines in one write, and a reader skips a last line without its
 * newline (a write that did not finish).
 */
import * as fs from 'fs';
import * as path from 'path';

/** Make `file` hold `content`, all or nothing: on any failure the old file is as it was and no temporary file is left. */
export function writeFileAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, Buffer.from(content, 'utf8'));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (e) {
    fs.rmSync(temporary, { force: true });
    throw e;
  }
}

/** Append complete lines ("...\n" each) to `file` in one write, flushed. */
export function appendLines(file: string, lines: string[]): void {
  if (lines.length === 0) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, Buffer.from(lines.map(l => l + '\n').join(''), 'utf8'));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The complete lines of a file (a last line without its newline is a write that did not finish: left out). */
export function completeLines(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n');
  return end < 0 ? [] : text.slice(0, end).split('\n').filter(l => l.trim() !== '');
}
