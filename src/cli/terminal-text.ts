// Text output names files the user did not choose (globs, list files, directory walks): a name
// holding terminal control sequences (ESC ] 0 ; … BEL retitles the window, CSI sequences move
// the cursor or recolour) must not reach the terminal raw. C0, DEL and C1 characters are shown
// as \u00XX. JSON output needs none of this: JSON.stringify already escapes them.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `s` with every control character written visibly as \u00XX. */
export function terminalSafe(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
