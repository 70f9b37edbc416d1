/**
 * Everything the test saw: output of every command and every API response, except reads of Secrets that the
 * test makes on purpose. The secret-leak assertions search it, so a value that shows up in helm's output, an
 * object or an error message fails the run.
 */
const entries: string[] = [];

export function record(label: string, text: string): void {
  entries.push(`--- ${label}\n${text}`);
}

export function transcript(): string {
  return entries.join('\n');
}
