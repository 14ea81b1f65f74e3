export { envToPath } from './env.js';
export { ConfigError, type LoadConfigOptions, loadConfig } from './load.js';
export { type CheckThresholds, type Config, type ConfigInput, configSchema } from './schema.js';
