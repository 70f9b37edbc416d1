import {
  type LoadedRuntimeConfig,
  runtimeSettingNames,
  settingDefinitions,
  type SecretName,
} from '@shipyard/config';

export type SecretStatus = { set: true; source: 'environment' | 'generated' };

/** The effective configuration by variable name, with each secret reduced to where it came from. */
export function publicConfig({ config, generatedSecrets }: LoadedRuntimeConfig) {
  return Object.fromEntries(
    runtimeSettingNames.map((name) => {
      if (!settingDefinitions[name].secret) return [name, config[name as keyof typeof config]];
      const generated = generatedSecrets.includes(name as SecretName);
      const status: SecretStatus = {
        set: true,
        source: generated ? 'generated' : 'environment',
      };
      return [name, status];
    }),
  );
}
