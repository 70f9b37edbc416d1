import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuntimeConfig } from './runtime-config';
import { runtimeSettingNames, settingDefinitions } from './runtime-settings';

/** The configuration table of the repository's README, by variable name. */
function readmeRows(): Map<string, string[]> {
  const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
  const section = readme.split('\n## Configuration\n')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const match = /^\| `([A-Z_]+)` \|(.*)\|$/.exec(line);
    if (match)
      rows.set(
        match[1],
        match[2].split('|').map((cell) => cell.trim()),
      );
  }
  return rows;
}

describe('the README configuration table', () => {
  const rows = readmeRows();
  const defaults = loadRuntimeConfig({}, () => 'generated').config as Record<string, unknown>;

  it('lists exactly the settings the schema defines, in its order', () => {
    expect([...rows.keys()]).toEqual([...runtimeSettingNames]);
  });

  it.each([...runtimeSettingNames])('shows the default of %s and whether it is secret', (name) => {
    const [shownDefault, secret] = rows.get(name) ?? [];
    if (settingDefinitions[name].secret) {
      expect([shownDefault, secret]).toEqual(['generated in dev', 'yes']);
    } else {
      const value = defaults[name];
      expect([shownDefault, secret]).toEqual([value === undefined ? 'none' : `\`${value}\``, '']);
    }
  });
});
