/**
 * Text the CLI did not write itself (a provider's error message, a URL, a file name) goes to the
 * terminal only through these functions, so that it cannot move the cursor, clear the screen,
 * retitle the window, write hyperlinks or overwrite the line with `\r`. Answers on stdout are
 * printed raw, as `cat` would, when stdout is not a terminal or with `--raw`; on a terminal they
 * are rendered as Markdown after these functions have stripped them (markdown-stream.ts).
 */

// biome-ignore-start lint/suspicious/noControlCharactersInRegex: matching terminal controls is the point
/**
 * ESC- or C1-introduced sequences: CSI (`ESC [` or 0x9b, parameters, one final byte); strings
 * (OSC `ESC ]`, DCS `ESC P`, SOS `ESC X`, PM `ESC ^`, APC `ESC _`, or their C1 bytes) up to BEL or
 * ST, or to the end when unterminated, as a terminal would swallow them; any other ESC and the
 * character after it.
 */
const ESCAPE_SEQUENCE =
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\s\S]?/g;
/** C0 and C1 controls and DEL, except tab and line feed. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: matching terminal controls is the point

/**
 * Removes escape sequences and control characters, keeping tabs and line breaks (`\r\n`, `\r`,
 * U+2028 and U+2029 become `\n`).
 */
export function stripTerminalControls(text: string): string {
  return text
    .replace(ESCAPE_SEQUENCE, "")
    .replace(/\r\n?|[\u2028\u2029]/g, "\n")
    .replace(CONTROL, "");
}

/**
 * {@link stripTerminalControls}, then every run of white space (line breaks included) as one
 * space, and at most `maxChars` characters, the last one an ellipsis when cut.
 */
export function oneLine(text: string, maxChars: number): string {
  // A 50 MB message is cut before the regular expressions walk it; escapes removed from what is
  // kept can only shorten it, so the cut is noted and the ellipsis added even then.
  const bound = maxChars * 8 + 64;
  const cut = text.length > bound;
  let line = stripTerminalControls(cut ? text.slice(0, bound) : text)
    .replace(/\s+/g, " ")
    .trim();
  if (!cut && line.length <= maxChars) return line;
  line = line.slice(0, maxChars - 1);
  // Never leave half of a surrogate pair before the ellipsis.
  if (/[\ud800-\udbff]$/.test(line)) line = line.slice(0, -1);
  return `${line.trimEnd()}…`;
}
